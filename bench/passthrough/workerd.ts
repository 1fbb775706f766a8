// The pass-through Worker (worker.js) in a bare `workerd` (the binary wrangler runs), no
// `wrangler dev` proxy in front: what the runtime itself costs between client and model server.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/lib/wrangler-dev.ts";

export type BareWorkerd = { url: string; stop(): Promise<void> };

export async function startBareWorkerd(upstream: string): Promise<BareWorkerd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ambit-bench-workerd-"));
  copyFileSync(path.join(import.meta.dirname, "worker.js"), path.join(dir, "worker.js"));
  const port = await freePort();
  writeFileSync(
    path.join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .passthrough),
    (name = "net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const passthrough :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2026-11-01",
  bindings = [(name = "UPSTREAM", text = ${JSON.stringify(upstream)})],
  globalOutbound = "net",
);
`,
  );
  const bin = createRequire(import.meta.url).resolve("@cloudflare/workerd-linux-64/bin/workerd");
  const child: ChildProcess = spawn(bin, ["serve", path.join(dir, "config.capnp")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/healthz`);
      return { url, stop };
    } catch (err) {
      if (child.exitCode !== null || i > 300) {
        await stop();
        throw new Error(`workerd did not start: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
