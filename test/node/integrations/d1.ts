import path from "node:path";
import { readD1Migrations } from "@cloudflare/vitest-plugin";
import { Miniflare } from "miniflare";

/** A real D1 (workerd, through Miniflare) with the platform's migrations applied, for Node tests. */
export async function startD1() {
  const mf = new Miniflare({
    workers: [
      {
        config: {
          name: "d1",
          compatibilityDate: "2026-11-01",
          manifest: {
            mainModule: "index.mjs",
            modules: { "index.mjs": { type: "esm", contents: "export default {}" } },
          },
          env: { DB: { type: "d1", id: "db" } },
        },
      },
    ],
  });
  const db = await mf.getD1Database("DB");
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "../../../migrations"));
  for (const m of migrations) await db.batch(m.queries.map((q) => db.prepare(q)));
  return { db, dispose: () => mf.dispose() };
}
