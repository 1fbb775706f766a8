import type {
  RateBudget,
  RateLimitPair,
  RateLimitSettings,
  RateLimits,
  RateLimitsChange,
} from "@ambit/protocol";
import type { Config } from "../env.ts";
import { AppError, type FieldError } from "./errors.ts";
import type { RateRule } from "./rate-limit.ts";

/** The separate budgets of authenticated requests: a burst of reads never blocks run creation. */
export type ApiBudget = RateBudget;
const BUDGETS = ["run_creates", "followups", "attaches", "requests"] as const;
const PER = ["per_key", "per_team"] as const;
type Per = (typeof PER)[number];

/** Which budget `method path` (under /api/v1) draws from. */
export function budgetOf(method: string, path: string): ApiBudget {
  if (method === "POST" && (path === "/agent/runs" || path === "/agent/run")) return "run_creates";
  if (method === "POST" && /^\/agent\/runs\/[^/]+\/followups$/.test(path)) return "followups";
  // an attach token is minted for each websocket or SSE attach (the CLI, the SDK, the console)
  if (/^\/agent\/runs\/[^/]+\/(session|events|session-token)$/.test(path)) return "attaches";
  return "requests";
}

const VARS = {
  run_creates: ["RUN_CREATES_PER_KEY_PER_MINUTE", "RUN_CREATES_PER_TEAM_PER_MINUTE"],
  followups: ["FOLLOWUPS_PER_KEY_PER_MINUTE", "FOLLOWUPS_PER_TEAM_PER_MINUTE"],
  attaches: ["ATTACHES_PER_KEY_PER_MINUTE", "ATTACHES_PER_TEAM_PER_MINUTE"],
  requests: ["REQUESTS_PER_KEY_PER_MINUTE", "REQUESTS_PER_TEAM_PER_MINUTE"],
} as const satisfies Record<ApiBudget, readonly [keyof Config, keyof Config]>;

/** The operator var that sets a limit's default (and every team's ceiling unless raised). */
export const varOf = (budget: ApiBudget, per: "key" | "team") =>
  VARS[budget][per === "key" ? 0 : 1];

/** A team's stored settings: what its admins lowered, and the ceilings a platform admin raised. */
export type TeamRateSettings = {
  rateLimits: RateLimitSettings | null;
  rateLimitCeilings: RateLimitSettings | null;
};

const mapLimits = (f: (b: ApiBudget, per: Per) => number): RateLimits =>
  Object.fromEntries(
    BUDGETS.map((b) => [b, Object.fromEntries(PER.map((p) => [p, f(b, p)])) as RateLimitPair]),
  ) as RateLimits;

/**
 * A team's limits: its ceilings (a platform admin's, else the operator's vars) and what it is held
 * to (what its admins set, never above the ceiling, so a lowered ceiling takes effect at once).
 */
export function teamRateLimits(
  config: Config,
  team: TeamRateSettings | null,
): { limits: RateLimits; ceilings: RateLimits } {
  const ceilings = mapLimits(
    (b, p) => team?.rateLimitCeilings?.[b]?.[p] ?? config[VARS[b][p === "per_key" ? 0 : 1]],
  );
  const limits = mapLimits((b, p) =>
    Math.min(team?.rateLimits?.[b]?.[p] ?? Infinity, ceilings[b][p]),
  );
  return { limits, ceilings };
}

/** The buckets a request of `budget` takes a token from: its key's and its team's. */
export function apiRules(limits: RateLimits, budget: ApiBudget): { key: RateRule; team: RateRule } {
  const rule = (name: string, limit: number) => ({ name, limit, windowSeconds: 60 });
  return {
    key: rule(`key-${budget}`, limits[budget].per_key),
    team: rule(`team-${budget}`, limits[budget].per_team),
  };
}

/** `settings` with `change` applied: a number sets a limit, null removes it (its default again). */
export function applyRateChange(
  settings: RateLimitSettings | null,
  change: RateLimitsChange,
): RateLimitSettings | null {
  const next: RateLimitSettings = structuredClone(settings ?? {});
  for (const b of BUDGETS)
    for (const p of PER) {
      const v = change[b]?.[p];
      if (v === undefined) continue;
      const pair = (next[b] ??= {});
      if (v === null) delete pair[p];
      else pair[p] = v;
      if (!Object.keys(pair).length) delete next[b];
    }
  return Object.keys(next).length ? next : null;
}

/** Refuses (400, naming each field and its ceiling) limits a team's admin sets above its ceilings. */
export function assertUnderRateCeilings(set: RateLimitSettings | null, ceilings: RateLimits): void {
  const errors: FieldError[] = [];
  for (const b of BUDGETS)
    for (const p of PER) {
      const asked = set?.[b]?.[p];
      const max = ceilings[b][p];
      if (asked !== undefined && asked > max)
        errors.push({
          path: `rate_limits.${b}.${p}`,
          message: `${asked} is above this team's ceiling of ${max} a minute (${varOf(b, p === "per_key" ? "key" : "team")} unless a platform admin raised it); choose at most ${max}`,
        });
    }
  if (errors.length)
    throw new AppError(
      "invalid_request",
      `${errors.map((e) => `${e.path} ${e.message}`).join("; ")}. A team's admins may only lower its rate limits; to raise them, ask the platform's operator (GET /team shows rate_limit_ceilings).`,
      { errors },
    );
}

/** The settings as one flat record (`requests.per_key: 600`), for an audit entry's changes. */
export const flatRateLimits = (limits: RateLimits | undefined) =>
  limits &&
  Object.fromEntries(
    BUDGETS.flatMap((b) => PER.map((p) => [`rate_limits.${b}.${p}`, limits[b][p]])),
  );
