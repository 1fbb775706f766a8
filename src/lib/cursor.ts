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

/**
 * A keyset page from rows read with `limit + 1`: the first `limit` rows, and `page_info` whose
 * `next_cursor` is the last row's position (`position`) when more rows follow.
 */
export function keysetPage<R>(rows: R[], limit: number, position: (last: R) => CursorPosition) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const hasNext = rows.length > limit && last !== undefined;
  const next = hasNext ? { next_cursor: encodeCursor(position(last)) } : {};
  return { page, page_info: { has_next_page: hasNext, ...next } };
}
