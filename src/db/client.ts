import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema.ts";

export type Db = ReturnType<typeof build>;

const build = (d1: D1Database) => drizzle(d1, { schema });
const clients = new WeakMap<D1Database, Db>();

/**
 * The drizzle client of a D1 binding, built once per isolate and binding (building one walks the
 * whole schema, which cost more CPU than the queries of a simple request).
 */
export function createDb(d1: D1Database): Db {
  let db = clients.get(d1);
  if (!db) clients.set(d1, (db = build(d1)));
  return db;
}
