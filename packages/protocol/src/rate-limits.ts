import { z } from "zod";

/** The separate budgets of authenticated requests: a burst of reads never blocks run creation. */
export const RateBudget = z.enum(["run_creates", "followups", "attaches", "requests"]);
export type RateBudget = z.infer<typeof RateBudget>;

const PerMinute = z.number().int().min(1).max(1_000_000);

/** One budget's limits: requests a minute per API key (or console session) and per team. */
export const RateLimitPair = z.object({
  per_key: PerMinute.describe("per API key or console session, per minute"),
  per_team: PerMinute.describe("for the whole team, per minute"),
});
export type RateLimitPair = z.infer<typeof RateLimitPair>;

/** Every budget's limits, as enforced or as the most that may be set. */
export const RateLimits = z
  .object({
    run_creates: RateLimitPair.describe("POST /agent/runs (and /agent/run)"),
    followups: RateLimitPair.describe("POST /agent/runs/{runId}/followups"),
    attaches: RateLimitPair.describe(
      "attach tokens, and websocket and SSE attaches made with a key or a console session",
    ),
    requests: RateLimitPair.describe("every other authenticated request"),
  })
  .describe("requests a minute (token buckets: a full bucket allows a burst of the limit)");
export type RateLimits = z.infer<typeof RateLimits>;

const PairChange = z.object({
  per_key: PerMinute.nullable().optional(),
  per_team: PerMinute.nullable().optional(),
});

/** A change to some budgets' limits: a number sets one, `null` returns it to its default. */
export const RateLimitsChange = z
  .object({
    run_creates: PairChange.optional(),
    followups: PairChange.optional(),
    attaches: PairChange.optional(),
    requests: PairChange.optional(),
  })
  .strict()
  .describe("per budget, `per_key` and/or `per_team` requests a minute; null: back to the default");
export type RateLimitsChange = z.infer<typeof RateLimitsChange>;

/** `GET`/`PATCH /platform/teams/{uid}/limits`: a team's rate limits and how far they may go. */
export const PlatformTeamLimits = z.object({
  team_uid: z.string(),
  rate_limits: RateLimits.describe("what the team is held to now"),
  rate_limit_ceilings: RateLimits.describe(
    "the most the team's admins may set: the operator's vars, or what a platform admin raised",
  ),
});
export type PlatformTeamLimits = z.infer<typeof PlatformTeamLimits>;

export const UpdatePlatformTeamLimits = z.object({
  rate_limit_ceilings: RateLimitsChange.describe(
    "raise (or lower) this team's ceilings; null: back to the operator's default",
  ),
});
export type UpdatePlatformTeamLimits = z.infer<typeof UpdatePlatformTeamLimits>;

/** Limits set for some budgets, as a team's row stores them (the rest keep their default). */
export type RateLimitSettings = { [B in RateBudget]?: Partial<RateLimitPair> };
