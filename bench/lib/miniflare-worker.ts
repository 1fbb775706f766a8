// The platform's Worker in Miniflare (its `workerd`) with no `wrangler dev` in front: the runtime's
// shape a deployment has, where a client reaches the Worker's isolate directly (on Cloudflare there
// is no dev proxy). The same code `npm run deploy` ships, bundled by `wrangler deploy --dry-run`,
// with the bindings wrangler derives from wrangler.toml (`unstable_getMiniflareWorkerOptions`:
// real D1, Durable Objects, KV, R2, Queues, assets) on a persisted state directory laid out as
// `wrangler dev --persist-to` lays it out, so `applyMigrations(persistTo)` seeds it.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { freePort, ROOT, wrangler } from "../../scripts/lib/wrangler-dev.ts";

export type MiniflareWorker = { url: string; stop(): Promise<void> };

export async function startMiniflareWorker(opts: {
  persistTo: string;
  vars: Record<string, string>;
}): Promise<MiniflareWorker> {
  const out = mkdtempSync(path.join(os.tmpdir(), "ambit-bench-bundle-"));
  await wrangler(["deploy", "--dry-run", "--outdir", out], { quiet: true });
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.toml"));
  // the bundle is one module: rules for finding others do not apply
  const { modulesRules: _, ...worker } = workerOptions;
  const port = await freePort();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...worker,
      name: "ambit",
      modules: [{ type: "ESModule", path: path.join(out, "index.js") }],
      modulesRoot: out,
      bindings: { ...(worker.bindings as Record<string, string>), ...opts.vars },
      // the Cron Trigger is not what this measures: wrangler dev does not fire it either
      cronTriggers: [],
      host: "127.0.0.1",
      port,
      // where `wrangler dev --persist-to` and `wrangler d1 migrations apply --persist-to` keep it
      resourcePersistencePath: path.join(opts.persistTo, "v3"),
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return {
    url,
    stop: async () => {
      await mf.dispose();
      rmSync(out, { recursive: true, force: true });
    },
  };
}
