// The host runner `npm start` runs on this machine as the bootstrap team's platform pool.
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PLATFORM_POOL } from "@ambit/protocol";
import { type Host, startHost } from "../../packages/runner/src/host.ts";

const keyFile = (stateDir: string) => path.join(stateDir, "ambit-runner.json");

/**
 * Creates an API key for the local runner (admin: hosts receive the team's runs) with the
 * bootstrap owner's key, and keeps it in the state directory (like `.dev.vars`, local only).
 */
export async function mintRunnerKey(url: string, ownerKey: string, stateDir: string) {
  const res = await fetch(`${url}/api/v1/api-keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ownerKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "local runner (npm start)", role: "admin" }),
  });
  const body = (await res.json()) as { key?: string; detail?: string };
  if (res.status !== 201 || !body.key) throw new Error(`${res.status} ${body.detail ?? ""}`);
  writeFileSync(keyFile(stateDir), JSON.stringify({ api_key: body.key }, null, 2), { mode: 0o600 });
  chmodSync(keyFile(stateDir), 0o600);
}

export function readRunnerKey(stateDir: string): string | undefined {
  if (!existsSync(keyFile(stateDir))) return undefined;
  return (JSON.parse(readFileSync(keyFile(stateDir), "utf8")) as { api_key?: string }).api_key;
}

/** A runner in this process, logging one line per notable event. */
export function startLocalRunner(opts: {
  url: string;
  apiKey: string;
  workdir: string;
  capacity: number;
}): Host {
  return startHost({
    url: opts.url,
    apiKey: opts.apiKey,
    workerId: PLATFORM_POOL,
    capacity: opts.capacity,
    workdir: opts.workdir,
    labels: ["local"],
    log: (e) => {
      if (
        e.msg === "run assigned" ||
        e.msg === "run ended" ||
        /refused|failed|crashed/.test(String(e.msg))
      )
        console.log(`  [runner] ${JSON.stringify(e)}`);
    },
  });
}
