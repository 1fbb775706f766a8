import type {
  CreateTeamRequest,
  CreateTeamResponse,
  Team,
  UpdateTeamRequest,
} from "@ambit/protocol";
import { count, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { apiKeys, memberships, teams } from "../db/schema.ts";
import { getConfig } from "../env.ts";
import { assertUnderCeilings, capLimits } from "../lib/ceilings.ts";
import { AppError } from "../lib/errors.ts";
import { newUid } from "../lib/ids.ts";
import { iso } from "../lib/time.ts";
import { mintApiKey } from "./api-keys.ts";
import { diffForAudit, noteAuditChanges } from "../lib/audit-note.ts";
import { flatRateLimits, teamRateLimits } from "../lib/api-rate-limits.ts";
import { changeTeamRateSettings } from "./team-rate-limits.ts";
import { type Ctx, requireRole } from "./context.ts";
import { ensureUser } from "./users.ts";

/**
 * Signup: a team, its owner (an existing user if the email is known) and the owner's first API key.
 * The team, membership and key are written in one batch (a new user just before it, see
 * `ensureUser`). Callers decide whether signup is open.
 */
export async function createTeam({
  db,
  input,
}: {
  db: Db;
  input: CreateTeamRequest;
}): Promise<CreateTeamResponse> {
  const now = Date.now();
  const team = { id: newUid(), name: input.name, createdAt: now };
  const user = await ensureUser(db, input.owner, now);
  const { key, row: keyRow } = await mintApiKey({
    teamId: team.id,
    principal: { type: "user", id: user.id },
    name: "owner key (created at signup)",
    role: "owner",
    createdBy: user.id,
    personalAccess: true,
    expiresAt: null,
    now,
  });
  await db.batch([
    db.insert(teams).values(team),
    db.insert(memberships).values({
      teamId: team.id,
      userId: user.id,
      role: "owner",
      createdAt: now,
      personalKeyAt: now,
    }),
    db.insert(apiKeys).values(keyRow),
  ]);
  return {
    team: { uid: team.id, name: team.name },
    user: { uid: user.id, email: user.email },
    api_key: key,
  };
}

/**
 * Renames the team, changes its limits or turns its model gateway on or off (admin), within the
 * operator's ceilings. Pools read the limits on their next assignment; the API's rate limits
 * (lowered only) apply from the team's next request.
 */
export async function updateTeam({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: UpdateTeamRequest;
}): Promise<Team> {
  requireRole(ctx, "admin", "Changing the team's name, limits or audit retention");
  assertUnderCeilings(
    {
      maxConcurrentRuns: input.limits?.max_concurrent_runs,
      maxRunTimeSeconds: input.limits?.max_run_time_seconds,
    },
    getConfig(ctx.env),
  );
  const set: Partial<typeof teams.$inferInsert> = {};
  if (input.name !== undefined) set.name = input.name;
  if (input.limits?.max_concurrent_runs !== undefined)
    set.maxConcurrentRuns = input.limits.max_concurrent_runs;
  if (input.limits?.max_run_time_seconds !== undefined)
    set.maxRunTimeSeconds = input.limits.max_run_time_seconds;
  if (input.audit_retention_days !== undefined) set.auditRetentionDays = input.audit_retention_days;
  if (input.model_gateway !== undefined) set.modelGateway = input.model_gateway;
  if (input.resume_attempts !== undefined) set.resumeAttempts = input.resume_attempts;
  const changing = Object.keys(set).length > 0 || input.rate_limits !== undefined;
  const before = changing ? await getTeam({ ctx }) : undefined;
  if (Object.keys(set).length) await ctx.db.update(teams).set(set).where(eq(teams.id, ctx.teamId));
  if (input.rate_limits) await changeTeamRateSettings(ctx, "rateLimits", input.rate_limits);
  const after = await getTeam({ ctx });
  noteAuditChanges(ctx, diffForAudit(teamSettings(before), teamSettings(after)));
  return after;
}

const teamSettings = (t: Team | undefined) =>
  t && {
    name: t.name,
    ...t.limits,
    audit_retention_days: t.audit_retention_days,
    model_gateway: t.model_gateway,
    ...flatRateLimits(t.rate_limits),
    resume_attempts: t.resume_attempts,
  };

export async function getTeam({ ctx }: { ctx: Ctx }): Promise<Team> {
  const [[team], [{ n }]] = await ctx.db.batch([
    ctx.db.select().from(teams).where(eq(teams.id, ctx.teamId)).limit(1),
    ctx.db.select({ n: count() }).from(memberships).where(eq(memberships.teamId, ctx.teamId)),
  ]);
  if (!team) throw new AppError("resource_not_found", "this API key's team no longer exists");
  const limits = capLimits(team, getConfig(ctx.env));
  const rates = teamRateLimits(getConfig(ctx.env), team);
  return {
    uid: team.id,
    name: team.name,
    created_at: iso(team.createdAt),
    member_count: n,
    limits: {
      max_concurrent_runs: limits.maxConcurrentRuns,
      max_run_time_seconds: limits.maxRunTimeSeconds,
    },
    audit_retention_days: team.auditRetentionDays,
    model_gateway: team.modelGateway,
    rate_limits: rates.limits,
    rate_limit_ceilings: rates.ceilings,
    resume_attempts: team.resumeAttempts,
    caller: {
      uid: ctx.actor.id,
      type: ctx.actor.type === "service_account" ? "service_account" : "user",
      role: ctx.actor.role,
    },
  };
}
