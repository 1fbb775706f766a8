// The e2e fixture: a real `wrangler dev` on a free port with its own state directory and secrets,
// and a freshly signed-up team. One server per test file; `stop()` kills it and removes its state.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyMigrations, type DevServer, startDevServer } from "../../scripts/lib/wrangler-dev.ts";

export type Json = Record<string, any>;

export type E2eServer = {
  /** e.g. `http://127.0.0.1:43123` (no `/api/v1`) */
  url: string;
  /** the signed-up team's owner API key */
  key: string;
  team: { uid: string; name: string };
  owner: { uid: string; email: string };
  server: DevServer;
  /** its local state (`--persist-to`): D1 rows can be written there with `wrangler d1 execute --local` */
  stateDir: string;
  stop: () => Promise<void>;
  /** Stops `wrangler dev` and starts it again on the same port, state directory and secrets (a server restart). */
  restart: () => Promise<void>;
};

/** A random secret of `n` URL-safe characters. */
export const randomSecret = (n = 43) =>
  randomBytes(Math.ceil((n * 3) / 4) + 1)
    .toString("base64url")
    .slice(0, n);

/**
 * An empty env file for `wrangler dev --env-file`: with it wrangler reads neither the project's
 * `.dev.vars` (which `npm start` creates) nor `.env`, so a test controls every secret itself.
 */
export function emptyEnvFile(dir: string): string {
  const file = path.join(dir, "empty.env");
  writeFileSync(file, "");
  return file;
}

/** JSON over HTTP against a running server; `key` becomes a bearer token. */
export async function api(
  url: string,
  method: string,
  route: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${url}${route}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Signs up a new team over HTTP and returns its owner and owner key. */
export async function signUp(url: string, name = "e2e") {
  const res = await api(url, "POST", "/api/v1/teams", {
    body: {
      name,
      owner: { email: `owner-${randomUUID()}@example.com`, display_name: "E2E owner" },
    },
  });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return res.json as {
    team: { uid: string; name: string };
    user: { uid: string; email: string };
    api_key: string;
  };
}

/**
 * Starts `wrangler dev` on a temp state directory with migrations applied and random secrets
 * (passed with `--var`; the project's `.dev.vars` is ignored), then signs up a team.
 */
export async function startE2eServer(
  opts: { teamName?: string; vars?: Record<string, string> } = {},
): Promise<E2eServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  let server: DevServer | undefined;
  try {
    await applyMigrations(dir, { quiet: true });
    const settings = {
      persistTo: dir,
      vars: {
        JWT_SECRET: randomSecret(43),
        SECRETS_KEY: randomSecret(43),
        // the tests sign up many teams and read public links from one address (no cf-connecting-ip
        // locally); the per-address limits themselves are tested in test/security/
        SIGNUPS_PER_IP_PER_HOUR: "100000",
        PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE: "100000",
        ...opts.vars,
      },
      extraArgs: ["--env-file", emptyEnvFile(dir)],
    };
    server = await startDevServer(settings);
    const signup = await signUp(server.url, opts.teamName);
    const e2e: E2eServer = {
      url: server.url,
      key: signup.api_key,
      team: signup.team,
      owner: signup.user,
      server,
      stateDir: dir,
      stop: async () => {
        await e2e.server.stop();
        cleanup();
      },
      restart: async () => {
        await e2e.server.stop();
        e2e.server = await startDevServer({ ...settings, port: e2e.server.port });
      },
    };
    return e2e;
  } catch (err) {
    await server?.stop();
    cleanup();
    throw err;
  }
}

/** Polls `fn` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  fn: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  stepMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return fn();
}
