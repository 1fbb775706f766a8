import type { Config } from "../env.ts";
import { AppError, type FieldError } from "./errors.ts";

/** A team's run limits (`teams` columns), as set or as enforced. */
export type RunLimits = { maxConcurrentRuns: number; maxRunTimeSeconds: number };

const CEILINGS = [
  {
    key: "maxConcurrentRuns",
    field: "max_concurrent_runs",
    ceiling: "MAX_CONCURRENT_RUNS_CEILING",
  },
  {
    key: "maxRunTimeSeconds",
    field: "max_run_time_seconds",
    ceiling: "MAX_RUN_TIME_CEILING_SECONDS",
  },
] as const;

/**
 * The limits a team is held to: what its admins set, capped by the operator's ceilings. Applied
 * where limits are read (the pool's assignment, the run's deadline, GET /team), so lowering a
 * ceiling takes effect for teams that set more before.
 */
export function capLimits(limits: RunLimits, config: Config): RunLimits {
  return {
    maxConcurrentRuns: Math.min(limits.maxConcurrentRuns, config.MAX_CONCURRENT_RUNS_CEILING),
    maxRunTimeSeconds: Math.min(limits.maxRunTimeSeconds, config.MAX_RUN_TIME_CEILING_SECONDS),
  };
}

/** Refuses (400, naming the ceiling and who raises it) limits a team asks for above the operator's. */
export function assertUnderCeilings(limits: Partial<RunLimits>, config: Config): void {
  const errors: FieldError[] = [];
  for (const c of CEILINGS) {
    const asked = limits[c.key];
    const max = config[c.ceiling];
    if (asked !== undefined && asked > max) {
      errors.push({
        path: `limits.${c.field}`,
        message: `${asked} is above this server's ceiling of ${max} (${c.ceiling}); choose at most ${max}, or ask the server's operator to raise ${c.ceiling}`,
      });
    }
  }
  if (errors.length) {
    const what = errors.map((e) => `${e.path} ${e.message}`).join("; ");
    throw new AppError(
      "invalid_request",
      `${what} (an operator sets it in wrangler.toml [vars] and redeploys)`,
      { errors },
    );
  }
}
