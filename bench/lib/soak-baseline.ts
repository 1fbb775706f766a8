// The soak bench's baseline case (`--baseline do|noop`): `bench/soak-baseline/worker.ts` on its
// own `wrangler dev`, sent `/do` (one new Durable Object with SQLite storage per request, as an
// Ambit run opens its RunSession) or `/noop` at the soak's rate. The same memory sampling then
// says what the local runtime keeps per Durable Object with none of Ambit's code loaded.
import path from "node:path";
import { type DevServer, ROOT, startDevServer } from "../../scripts/lib/wrangler-dev.ts";
import { steadily } from "../../test/chaos/world.ts";

export type BaselineMode = "do" | "noop";

export type BaselineRequest = { createdAt: number; answeredAt?: number; error?: string };

export async function startBaseline(persistTo: string): Promise<DevServer> {
  return startDevServer({
    persistTo,
    extraArgs: ["--config", path.join(ROOT, "bench/soak-baseline/wrangler.toml")],
  });
}

/** Sends `/<mode>` every `everyMs` until stopped; no request waits for another. */
export function baselineLoad(server: DevServer, mode: BaselineMode, everyMs: number) {
  return steadily(
    everyMs,
    (): BaselineRequest => ({ createdAt: Date.now() }),
    async (p) => {
      const res = await fetch(`${server.url}/${mode}`);
      await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      p.answeredAt = Date.now();
    },
  );
}
