import type { HostPool } from "./host-pool/host-pool.ts";
import type { RateLimiter } from "./rate-limiter/rate-limiter.ts";
import type { RunSession } from "./run-session/run-session.ts";
import type { RunnerContainer } from "./runner-container/runner-container.ts";
import type { TeamLedger } from "./team-ledger/team-ledger.ts";

/**
 * The one place a Durable Object stub is obtained, and so the one place each object's name is
 * built: the Worker and the Durable Objects alike call these. Only the classes' types are
 * imported here, so no class imports another.
 */

export type RunSessionStub = DurableObjectStub<RunSession>;
export type HostPoolStub = DurableObjectStub<HostPool>;

/** The `RunSession` of a run, named by the run id. */
export function runSession(env: Env, runId: string): RunSessionStub {
  return env.RUN_SESSION.getByName(runId);
}

/** The `HostPool` of a team's pool (`poolOf(worker_host)`), named `<team>:<pool>`. */
export function hostPool(env: Env, teamId: string, pool: string): HostPoolStub {
  return env.HOST_POOL.getByName(`${teamId}:${pool}`);
}

/** The `RateLimiter` token bucket of a rule and a key, named `<rule>:<key>` (e.g. `signup:<address>`). */
export function rateLimiter(env: Env, rule: string, key: string): DurableObjectStub<RateLimiter> {
  return env.RATE_LIMITER.getByName(`${rule}:${key}`);
}

/** The `TeamLedger` of a team (its budgets' spend and holds), named by the team id. */
export function teamLedger(env: Env, teamId: string): DurableObjectStub<TeamLedger> {
  return env.TEAM_LEDGER.getByName(teamId);
}

/**
 * The `RunnerContainer` of a platform-pool run, named by the run (a second start of the same run
 * reaches the same instance), or null where the `RUNNER_CONTAINER` binding is missing.
 */
export function runnerContainer(
  env: Env,
  runId: string,
): DurableObjectStub<RunnerContainer> | null {
  const ns = env.RUNNER_CONTAINER; // only the `containers` wrangler environment binds it
  return ns ? ns.getByName(runId) : null;
}
