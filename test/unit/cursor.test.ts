import { describe, expect, it } from "vitest";
import { type CursorPosition, decodeCursor, encodeCursor } from "../../src/lib/cursor.ts";
import { AppError } from "../../src/lib/errors.ts";

function decodeError(
  cursor: string,
  sortBy = "updated_at",
  order: "asc" | "desc" = "desc",
): AppError {
  try {
    decodeCursor(cursor, sortBy, order);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error(`cursor ${cursor} was accepted`);
}

describe("encodeCursor / decodeCursor", () => {
  it.each<CursorPosition>([
    {
      sortBy: "updated_at",
      order: "desc",
      value: 1_767_225_600_123,
      id: "0190f5a2-0000-7000-8000-000000000000",
    },
    { sortBy: "created_at", order: "asc", value: 0, id: "a" },
    { sortBy: "title", order: "asc", value: "Fix the flaky test", id: "b" },
    { sortBy: "title", order: "desc", value: 'ünïcödé 💥 "quotes" / + =', id: "c" },
    { sortBy: "title", order: "desc", value: "", id: "d" },
  ])("round-trips %o", (position) => {
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe, no padding
    expect(decodeCursor(cursor, position.sortBy, position.order)).toEqual(position);
  });

  it("refuses a cursor of another sort or order, saying which it belongs to", () => {
    const cursor = encodeCursor({ sortBy: "created_at", order: "asc", value: 1, id: "x" });
    expect(decodeError(cursor, "updated_at", "asc").message).toContain(
      "sort_by=created_at&sort_order=asc",
    );
    expect(decodeError(cursor, "created_at", "desc").code).toBe("invalid_request");
  });

  it.each([
    ["not base64", "%%%"],
    ["not JSON", btoa("hello")],
    ["not an array", btoa('{"a":1}')],
    ["another version", btoa('[2,"updated_at","desc",1,"x"]')],
    ["too short", btoa('[1,"updated_at","desc",1]')],
    ["id not a string", btoa('[1,"updated_at","desc",1,2]')],
    ["value an object", btoa('[1,"updated_at","desc",{},"x"]')],
    ["empty", ""],
  ])("refuses a cursor that is %s as invalid_request naming the cursor", (_, cursor) => {
    const err = decodeError(cursor);
    expect(err.code).toBe("invalid_request");
    expect(err.details?.errors?.[0]?.path).toBe("cursor");
  });
});
