// What every benchmark starts from: its own platform state in a temporary directory, fresh random
// secrets, cleanup that runs on success, failure and Ctrl-C alike, and a team signed up the way a
// user does it.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type SignedUp = { team: { uid: string }; user: { uid: string }; api_key: string };

export type BenchState = {
  /** the `--persist-to` directory of this run's `wrangler dev` */
  persistTo: string;
  /** the Worker's secrets, and the platform ceilings raised out of the way, passed as vars */
  vars: Record<string, string> & { JWT_SECRET: string; SECRETS_KEY: string };
  /** runs `fn` at cleanup, latest registered first */
  onCleanup(fn: () => unknown): void;
  /** cleans up (servers, then the directory unless `keep`) and stops listening for signals */
  dispose(): Promise<void>;
};

/** The per-key attach budget of bench servers: `api` shows a key past it refused, another not. */
export const BENCH_ATTACHES_PER_KEY = 100;

export function benchState(name: string, keep: boolean): BenchState {
  const persistTo = mkdtempSync(path.join(os.tmpdir(), `ambit-bench-${name}-`));
  const vars = {
    JWT_SECRET: randomBytes(32).toString("base64url"),
    SECRETS_KEY: randomBytes(32).toString("base64url"),
    // a bench loads one team with far more runs and hosts than a tenant may have: it measures the platform, not its ceilings
    MAX_QUEUED_RUNS_PER_TEAM: "10000000",
    MAX_CONCURRENT_RUNS_CEILING: "100000",
    MAX_SCHEDULES_PER_TEAM: "10000000",
    MAX_SCHEDULE_SLOTS_PER_TEAM_PER_TICK: "10000000",
    // benches sign up and watch from one local address
    SIGNUPS_PER_IP_PER_HOUR: "10000000",
    PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE: "10000000",
    INBOUND_DELIVERIES_PER_IP_PER_MINUTE: "10000000",
    // the API's budgets are out of the way of the loads (one key sends thousands a minute)...
    RUN_CREATES_PER_KEY_PER_MINUTE: "10000000",
    RUN_CREATES_PER_TEAM_PER_MINUTE: "10000000",
    FOLLOWUPS_PER_KEY_PER_MINUTE: "10000000",
    FOLLOWUPS_PER_TEAM_PER_MINUTE: "10000000",
    REQUESTS_PER_KEY_PER_MINUTE: "10000000",
    REQUESTS_PER_TEAM_PER_MINUTE: "10000000",
    // ...but `api` measures the per-key and per-team limiter on the attach budget (no load of its
    // uses it; `fanout`'s viewers mint hundreds of attach tokens with one key)
    ATTACHES_PER_KEY_PER_MINUTE: name === "api" ? String(BENCH_ATTACHES_PER_KEY) : "10000000",
    ATTACHES_PER_TEAM_PER_MINUTE: "10000000",
  };
  const closers: (() => unknown)[] = [];
  const cleanup = async () => {
    for (const fn of closers.splice(0).reverse()) await fn();
    if (!keep) rmSync(persistTo, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    persistTo,
    vars,
    onCleanup: (fn) => void closers.push(fn),
    async dispose() {
      await cleanup();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** The JSON body of `res`, which must have `status`; otherwise an error with what came instead. */
export async function json<T>(res: Response, status: number): Promise<T> {
  const body = await res.text();
  if (res.status !== status)
    throw new Error(`${res.url} answered ${res.status}, expected ${status}: ${body}`);
  return JSON.parse(body) as T;
}

/** Signs a team up with `POST /api/v1/teams`, as a user does. */
export async function signUp(url: string, name = "bench"): Promise<SignedUp> {
  return json<SignedUp>(
    await fetch(`${url}/api/v1/teams`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, owner: { email: `${name}@ambit.local`, display_name: name } }),
    }),
    201,
  );
}
