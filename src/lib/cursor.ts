import { AppError } from "./errors.ts";

/** Keyset position of a runs page: the sort it belongs to and the last row's sort value and id. */
export type CursorPosition = {
  sortBy: string;
  order: "asc" | "desc";
  value: string | number;
  id: string;
};

const b64url = (s: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(s)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

export function encodeCursor(p: CursorPosition): string {
  return b64url(JSON.stringify([1, p.sortBy, p.order, p.value, p.id]));
}

export function decodeCursor(
  cursor: string,
  sortBy: string,
  order: "asc" | "desc",
): CursorPosition {
  const bad = (why: string) =>
    new AppError(
      "invalid_request",
      `cursor is not valid: ${why}; pass the next_cursor of the previous page unchanged`,
      {
        errors: [{ path: "cursor", message: why }],
      },
    );
  let parsed: unknown;
  try {
    const bin = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    parsed = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    throw bad("it could not be decoded");
  }
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== 1) throw bad("unknown format");
  const [, s, o, value, id] = parsed;
  if (typeof id !== "string" || (typeof value !== "string" && typeof value !== "number"))
    throw bad("unknown format");
  if (s !== sortBy || o !== order) {
    throw bad(`it belongs to sort_by=${s}&sort_order=${o}; repeat the same sort with the cursor`);
  }
  return { sortBy: s, order: o, value, id };
}
