import type { Config } from "../env.ts";
import type { RateRule } from "./rate-limit.ts";

/** The separate budgets of authenticated requests: a burst of reads never blocks run creation. */
export type ApiBudget = "run_creates" | "followups" | "attaches" | "requests";

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

/** The buckets a request of `budget` takes a token from: its key's and its team's, those set. */
export function apiRules(config: Config, budget: ApiBudget): { key?: RateRule; team?: RateRule } {
  const [perKey, perTeam] = VARS[budget];
  const rule = (name: string, limit: number | undefined) =>
    limit === undefined ? undefined : { name, limit, windowSeconds: 60 };
  return {
    key: rule(`key-${budget}`, config[perKey]),
    team: rule(`team-${budget}`, config[perTeam]),
  };
}

/** The operator var that sets a rule's limit, for a refusal to name. */
export const varOf = (budget: ApiBudget, per: "key" | "team") =>
  VARS[budget][per === "key" ? 0 : 1];
