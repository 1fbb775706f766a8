// What a benchmark's figures depend on: the machine, its load when the bench began, and the file
// system the server's state is on.
import { readFileSync, statfsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { round } from "./load.ts";

export function machineInfo() {
  const cpus = os.cpus();
  const version = (pkg: string) =>
    JSON.parse(readFileSync(path.join(ROOT, "node_modules", pkg, "package.json"), "utf8"))
      .version as string;
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? "unknown",
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    wrangler: version("wrangler"),
    autocannon: version("autocannon"),
    loadavg_at_start: os.loadavg().map((x) => round(x)), // other work on the machine skews every figure: check this first
  };
}

/** The kind of file system the server's state is on: local D1 and every Durable Object are SQLite files there. */
export function fsType(dir: string): string {
  const type = statfsSync(dir).type;
  return (
    (
      {
        16914836: "tmpfs",
        61267: "ext4",
        1481003842: "xfs",
        2435016766: "btrfs",
        2035054128: "overlayfs",
      } as Record<number, string>
    )[type] ?? `0x${type.toString(16)}`
  );
}
