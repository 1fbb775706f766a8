import type {
  PlatformTeamLimits,
  RateLimits,
  RateLimitsChange,
  UpdatePlatformTeamLimits,
} from "@ambit/protocol";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { teams } from "../db/schema.ts";
import { getConfig } from "../env.ts";
import { diffForAudit, noteAuditChanges } from "../lib/audit-note.ts";
import {
  applyRateChange,
  flatRateLimits,
  assertUnderRateCeilings,
  type TeamRateSettings,
  teamRateLimits,
} from "../lib/api-rate-limits.ts";
import { AppError } from "../lib/errors.ts";
import { writeTeamConfig } from "./config/team-config.ts";
import type { Ctx } from "./context.ts";

/**
 * Teams' rate-limit settings this isolate read, by team and configuration version (every change
 * bumps it, so an entry is never stale): the limiter reads them on every request without a query.
 */
const memory = new Map<string, TeamRateSettings>();
const MEMORY_ENTRIES = 1_000;

async function readSettings(db: Db, teamId: string): Promise<TeamRateSettings> {
  const [row] = await db
    .select({ rateLimits: teams.rateLimits, rateLimitCeilings: teams.rateLimitCeilings })
    .from(teams)
    .where(eq(teams.id, teamId))
    .limit(1);
  return row ?? { rateLimits: null, rateLimitCeilings: null };
}

/** The limits a team's requests are held to now, at the configuration version its key read. */
export async function teamRateLimitsAt(
  env: Env,
  db: Db,
  teamId: string,
  version: number,
): Promise<RateLimits> {
  const key = `${teamId}:${version}`;
  let settings = memory.get(key);
  if (!settings) {
    settings = await readSettings(db, teamId);
    if (memory.size >= MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
    memory.set(key, settings);
  }
  return teamRateLimits(getConfig(env), settings).limits;
}

/** A team's rate limits and ceilings, as GET /team and the platform's route show them. */
export async function readTeamRateLimits(
  env: Env,
  db: Db,
  teamId: string,
): Promise<{ limits: RateLimits; ceilings: RateLimits }> {
  return teamRateLimits(getConfig(env), await readSettings(db, teamId));
}

/**
 * Changes one of the two settings (`rateLimits`: a team admin's, checked against the ceilings;
 * `rateLimitCeilings`: a platform admin's), with the configuration version in the same batch so
 * every isolate's limiter reads the new limits on the team's next request.
 */
export async function changeTeamRateSettings(
  ctx: Ctx,
  which: keyof TeamRateSettings,
  change: RateLimitsChange,
): Promise<void> {
  const current = await readSettings(ctx.db, ctx.teamId);
  const next = { ...current, [which]: applyRateChange(current[which], change) };
  if (which === "rateLimits")
    assertUnderRateCeilings(next.rateLimits, teamRateLimits(getConfig(ctx.env), next).ceilings);
  await writeTeamConfig(ctx, [
    ctx.db
      .update(teams)
      .set({ [which]: next[which] })
      .where(eq(teams.id, ctx.teamId)),
  ]);
}

/** Throws 404 unless the team exists (the platform's route names any team). */
export async function assertTeamExists(db: Db, teamId: string): Promise<void> {
  const [row] = await db.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).limit(1);
  if (!row) throw new AppError("resource_not_found", `no team ${teamId} on this platform`);
}

/** A team's rate limits and ceilings, for the platform admin (routes/platform.ts authorizes). */
export async function getPlatformTeamLimits({ ctx }: { ctx: Ctx }): Promise<PlatformTeamLimits> {
  await assertTeamExists(ctx.db, ctx.teamId);
  const { limits, ceilings } = await readTeamRateLimits(ctx.env, ctx.db, ctx.teamId);
  return { team_uid: ctx.teamId, rate_limits: limits, rate_limit_ceilings: ceilings };
}

/**
 * Sets one team's ceilings in place of the operator's vars (the platform admin: raising is the
 * point, lowering works too); what the team's admins set stays, capped by the new ceilings.
 */
export async function updatePlatformTeamLimits({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: UpdatePlatformTeamLimits;
}): Promise<PlatformTeamLimits> {
  const before = await getPlatformTeamLimits({ ctx });
  await changeTeamRateSettings(ctx, "rateLimitCeilings", input.rate_limit_ceilings);
  const after = await getPlatformTeamLimits({ ctx });
  const flat = (l: RateLimits) =>
    Object.fromEntries(
      Object.entries(flatRateLimits(l)!).map(([k, v]) => [
        k.replace("rate_limits.", "ceilings."),
        v,
      ]),
    );
  noteAuditChanges(
    ctx,
    diffForAudit(
      { ...flat(before.rate_limit_ceilings), ...flatRateLimits(before.rate_limits) },
      { ...flat(after.rate_limit_ceilings), ...flatRateLimits(after.rate_limits) },
    ),
  );
  return after;
}
