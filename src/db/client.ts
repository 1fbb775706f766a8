import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema.ts";

export type Db = ReturnType<typeof createDb>;

/** One drizzle client per request (D1 bindings are cheap; no pooling to manage). */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
}
