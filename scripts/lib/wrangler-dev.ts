// Starting and stopping a real `wrangler dev` from Node: used by `npm start`, the e2e tests and
// the benchmarks. Node 22 (the project's) runs this file directly.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { ensureConsoleAssets } from "./console-assets.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const WRANGLER = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/**
 * Environment for wrangler: no telemetry, no network lookups, its logs inside the project, and
 * no local trace collector unless asked for. Wrangler's local observability (on by default since
 * 4.15x, `X_LOCAL_OBSERVABILITY`) traces every invocation, Durable Object call and D1 query to
 * disk for its dev dashboard; Ambit has its own logs and events, and the collector cost about 40 %
 * of the runtime's time per run creation (`npm run bench -- api`). Set
 * `X_LOCAL_OBSERVABILITY=true` to have it back.
 */
export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    X_LOCAL_OBSERVABILITY: "false",
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    XDG_CONFIG_HOME: path.join(ROOT, ".xdg"),
    ...extra,
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs a wrangler command to completion; rejects with its output when it fails. `root`: the
 * checkout it runs in (default this one; a bench compares with another commit's, bench/README.md).
 */
export function wrangler(
  args: string[],
  opts: { quiet?: boolean; root?: string } = {},
): Promise<string> {
  ensureConsoleAssets();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: opts.root ?? ROOT,
      env: wranglerEnv({ CI: "1" }),
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${out}`)),
    );
    if (!opts.quiet) child.stdout.pipe(process.stdout);
  });
}

/** Applies the D1 migrations to the local state directory `persistTo` (default `.wrangler/state`). */
export async function applyMigrations(
  persistTo?: string,
  opts: { quiet?: boolean; root?: string } = {},
) {
  return wrangler(
    [
      "d1",
      "migrations",
      "apply",
      "DB",
      "--local",
      ...(persistTo ? ["--persist-to", persistTo] : []),
    ],
    opts,
  );
}

/** The Worker's secrets for local use: read from .dev.vars, which is created with fresh random values if missing. */
export function ensureDevVars(file = path.join(ROOT, ".dev.vars")): {
  created: boolean;
  vars: Record<string, string>;
} {
  let created = false;
  if (!existsSync(file)) {
    const secret = () => randomBytes(32).toString("base64url");
    writeFileSync(
      file,
      `# local secrets for wrangler dev (created by npm start; never commit)\nJWT_SECRET=${secret()}\nSECRETS_KEY=${secret()}\n`,
      { mode: 0o600 },
    );
    created = true;
  }
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  return { created, vars };
}

/**
 * Lines of `wrangler dev`'s output that `npm start` does not pass on, each harmless: workerd notes
 * that a Durable Object alarm scheduled before a restart was skipped because the object had since
 * moved or deleted it (the object's own alarm still runs when it is due).
 */
export const HARMLESS_DEV_LINES = /NOSENTRY (SQLite|actor-cache) alarm handler canceled/;

/** Copies `from` to `to` line by line, less the lines `drop` matches. */
function forwardLines(from: Readable, to: Writable, drop: RegExp) {
  let held = "";
  from.setEncoding("utf8");
  from.on("data", (chunk: string) => {
    const lines = (held + chunk).split("\n");
    held = lines.pop() ?? "";
    const kept = lines.filter((l) => !drop.test(l));
    if (kept.length) to.write(`${kept.join("\n")}\n`);
  });
  from.on("end", () => {
    if (held && !drop.test(held)) to.write(held);
  });
}

/** How long `wrangler dev` may take to answer (under load on 2 cores its start has taken over a minute). */
const READY_TIMEOUT_MS = 150_000;

export type DevServer = {
  url: string;
  port: number;
  inspectorPort: number;
  child: ChildProcess;
  logs: () => string;
  stop: () => Promise<void>;
};

type DevServerOptions = {
  port?: number;
  persistTo?: string;
  vars?: Record<string, string>;
  logLevel?: "error" | "warn" | "info" | "log" | "debug";
  /** wrangler's output goes to ours (less the lines `drop` matches) */
  inherit?: boolean;
  drop?: RegExp;
  extraArgs?: string[];
  readyTimeoutMs?: number;
  /** the checkout whose Worker it runs (default this one) */
  root?: string;
};

/**
 * Starts `wrangler dev` on 127.0.0.1 and resolves once it answers HTTP. `vars` are passed with
 * `--var` (so tests need no .dev.vars); `persistTo` keeps its state apart from the default.
 */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(opts);
    } catch (err) {
      // a port `freePort` found free was taken before wrangler bound it (another process picked
      // it meanwhile, e.g. a parallel test file): start again on ports picked anew
      if (attempt < 3 && /Address already in use/.test(String(err))) continue;
      throw err;
    }
  }
}

async function startDevServerOnce(opts: DevServerOptions): Promise<DevServer> {
  ensureConsoleAssets();
  const port = opts.port ?? (await freePort());
  const inspector = await freePort();
  const args = [
    WRANGLER,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(inspector),
    "--show-interactive-dev-session=false",
    "--log-level",
    opts.logLevel ?? "warn",
    ...(opts.persistTo ? ["--persist-to", opts.persistTo] : []),
    ...Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ...(opts.extraArgs ?? []),
  ];
  const filtered = !!(opts.inherit && opts.drop);
  const child = spawn(process.execPath, args, {
    cwd: opts.root ?? ROOT,
    detached: true,
    // piped through the filter, it keeps the colours it would have on our terminal
    env: wranglerEnv({
      CI: "1",
      ...(filtered && process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}),
    }),
    stdio:
      opts.inherit && !filtered ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
  });
  if (filtered) {
    forwardLines(child.stdout!, process.stdout, opts.drop!);
    forwardLines(child.stderr!, process.stderr, opts.drop!);
  }
  let logs = "";
  child.stdout?.on("data", (d) => (logs += d));
  child.stderr?.on("data", (d) => (logs += d));
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (exited !== undefined) return resolve();
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          /* already gone */
        }
      };
      const timer = setTimeout(() => kill("SIGKILL"), 5_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      kill("SIGTERM");
    });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
  while (Date.now() < deadline) {
    if (exited !== undefined)
      throw new Error(`wrangler dev exited (${exited}) before it was ready:\n${logs}`);
    try {
      await fetch(`${url}/healthz`);
      return { url, port, inspectorPort: inspector, child, logs: () => logs, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  throw new Error(
    `wrangler dev did not answer within ${opts.readyTimeoutMs ?? READY_TIMEOUT_MS} ms:\n${logs}`,
  );
}
