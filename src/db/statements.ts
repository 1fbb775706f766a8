import { is, Param, Placeholder } from "drizzle-orm";
import type { Db } from "./client.ts";

type Built = { sql: string; params: unknown[] };
type Query = { toSQL(): Built };

/**
 * A drizzle query built once per isolate, with `sql.placeholder(name)` where its values go, then
 * run as a plain D1 statement with the values filled in (each through its column's encoder, as
 * drizzle does: JSON columns stringified…). Building a query walks its SQL chunks, which locally
 * costs more CPU than D1 takes to run a simple one: the hot paths (run creation) build theirs once.
 * A null or missing value is bound as NULL.
 */
export function statementOnce<V extends object>(
  build: (db: Db) => Query,
): (db: Db, values: V) => D1PreparedStatement {
  let compiled: { sql: string; fill: ((v: Record<string, unknown>) => unknown)[] } | null = null;
  return (db, values) => {
    compiled ??= compile(build(db).toSQL());
    return db.$client
      .prepare(compiled.sql)
      .bind(...compiled.fill.map((f) => f(values as Record<string, unknown>)));
  };
}

function compile({ sql, params }: Built) {
  return {
    sql,
    fill: params.map((p): ((v: Record<string, unknown>) => unknown) => {
      if (is(p, Param) && is(p.value, Placeholder)) {
        const { name } = p.value;
        const encoder = p.encoder;
        return (v) =>
          v[name] == null ? null : encoder ? encoder.mapToDriverValue(v[name]) : v[name];
      }
      if (is(p, Placeholder)) {
        const { name } = p;
        return (v) => v[name] ?? null;
      }
      return () => p; // a constant of the query itself
    }),
  };
}

/** A drizzle query as a plain D1 statement, for a `D1Database.batch` that mixes both. */
export function asStatement(db: Db, query: Query): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return db.$client.prepare(sql).bind(...params);
}
