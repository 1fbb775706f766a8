import type {
  CreateScheduledAgentRequest,
  ScheduledAgentItem,
  UpdateScheduledAgentRequest,
} from "@ambit/protocol";
import { and, eq, sql } from "drizzle-orm";
import { schedules } from "../../db/schema.ts";
import { getConfig } from "../../env.ts";
import { AppError } from "../../lib/errors.ts";
import { newUid } from "../../lib/ids.ts";
import { type Ctx, ownPersonal, requirePersonal, requireRole } from "../context.ts";
import { nextSlot, parseCron } from "./cron.ts";
import { getSchedule, getScheduleRow } from "./get-schedule.ts";

const principal = (ctx: Ctx) => ({
  type: ctx.actor.type === "service_account" ? ("service_account" as const) : ("user" as const),
  id: ctx.actor.id,
});

function refuseNamedAgent(agentUid: string | undefined) {
  // the same rule as createRun: named agents arrive with configuration resolution
  if (agentUid)
    throw new AppError(
      "feature_not_available",
      "named agents (agent_uid) are not available on this server yet; omit agent_uid",
    );
}

const emptyToNull = <T extends object>(v: T | undefined) => (v && Object.keys(v).length ? v : null);

/**
 * Creates a schedule; its first slot is the first cron time after now. A team has at most
 * `MAX_SCHEDULES_PER_TEAM`: the insert and a delete of it when the team is then over the cap run in
 * one D1 batch (a transaction), so concurrent creations cannot pass the cap together.
 */
export async function createSchedule({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: CreateScheduledAgentRequest;
}): Promise<ScheduledAgentItem> {
  requireRole(ctx, "member", "Creating schedules");
  if (input.team === false) requirePersonal(ctx, "Creating a personal schedule (team: false)");
  refuseNamedAgent(input.agent_uid);
  const timezone = input.timezone ?? "UTC";
  const cron = parseCron(input.cron_schedule, timezone);
  const now = Date.now();
  const who = principal(ctx);
  const id = newUid();
  const max = getConfig(ctx.env).MAX_SCHEDULES_PER_TEAM;
  const insert = ctx.db.insert(schedules).values({
    id,
    teamId: ctx.teamId,
    scope: input.team === false ? "User" : "Team",
    name: input.name,
    cronSchedule: input.cron_schedule,
    timezone,
    overlapPolicy: input.overlap_policy ?? "skip",
    enabled: input.enabled ?? true,
    prompt: input.prompt ?? "",
    mode: input.mode ?? null,
    agentConfig: input.agent_config ?? {},
    metadata: emptyToNull(input.metadata),
    ownerType: who.type,
    ownerId: who.id,
    updatedByType: who.type,
    updatedById: who.id,
    personalAccess: ownPersonal(ctx) !== undefined,
    nextRun: nextSlot(cron, now),
    createdAt: now,
    updatedAt: now,
  });
  const overCap = ctx.db
    .delete(schedules)
    .where(
      and(
        eq(schedules.id, id),
        sql`(SELECT count(*) FROM ${schedules} WHERE ${schedules.teamId} = ${ctx.teamId}) > ${max}`,
      ),
    )
    .returning({ id: schedules.id });
  const [, refused] = await ctx.db.batch([insert, overCap]);
  if (refused.length) {
    throw new AppError(
      "quota_exceeded",
      `this team already has ${max} schedules, the most this server allows (MAX_SCHEDULES_PER_TEAM); ` +
        "delete schedules it no longer needs, or ask the server's operator to raise the limit",
    );
  }
  return getSchedule({ ctx, scheduleId: id });
}

/**
 * Replaces a schedule (Oz PUT semantics; `timezone` and `overlap_policy` keep their value when
 * omitted). A new cron or time zone, or turning the schedule on, moves its next slot to the first
 * cron time after now; changes to what it runs take effect at the next slot, and its runs act as
 * the editor from then on (`updated_by`, see scheduleActor).
 */
export async function updateSchedule({
  ctx,
  scheduleId,
  input,
}: {
  ctx: Ctx;
  scheduleId: string;
  input: UpdateScheduledAgentRequest;
}) {
  const row = await getScheduleRow(ctx, scheduleId);
  requireRole(ctx, "member", "Editing schedules");
  refuseNamedAgent(input.agent_uid);
  const timezone = input.timezone ?? row.timezone;
  const cron = parseCron(input.cron_schedule, timezone);
  const now = Date.now();
  const retimed =
    input.cron_schedule !== row.cronSchedule ||
    timezone !== row.timezone ||
    (input.enabled && !row.enabled) ||
    row.nextRun === null;
  const who = principal(ctx);
  await ctx.db
    .update(schedules)
    .set({
      name: input.name,
      cronSchedule: input.cron_schedule,
      timezone,
      overlapPolicy: input.overlap_policy ?? row.overlapPolicy,
      enabled: input.enabled,
      prompt: input.prompt ?? "",
      mode: input.mode ?? null,
      agentConfig: input.agent_config ?? {},
      metadata: emptyToNull(input.metadata),
      updatedByType: who.type,
      updatedById: who.id,
      // its runs act as this editor (scheduleActor), with their personal secrets only if this
      // change came through a key of their own
      personalAccess: ownPersonal(ctx) !== undefined,
      nextRun: retimed ? nextSlot(cron, now) : row.nextRun,
      updatedAt: now,
    })
    .where(and(eq(schedules.teamId, ctx.teamId), eq(schedules.id, row.id)));
  return getSchedule({ ctx, scheduleId: row.id });
}

/**
 * Pause (`enabled: false`) or resume; a resumed schedule waits for the first slot after now (no
 * catch-up for the pause). Resuming a paused schedule makes the resumer the one its runs act as
 * (`updated_by`, see scheduleActor); a pause, or a resume of a schedule that is on, leaves that alone.
 */
export async function setScheduleEnabled({
  ctx,
  scheduleId,
  enabled,
}: {
  ctx: Ctx;
  scheduleId: string;
  enabled: boolean;
}) {
  const row = await getScheduleRow(ctx, scheduleId);
  requireRole(ctx, "member", enabled ? "Resuming schedules" : "Pausing schedules");
  const now = Date.now();
  const resumed = enabled && !row.enabled;
  const who = principal(ctx);
  const nextRun = resumed ? nextSlot(parseCron(row.cronSchedule, row.timezone), now) : row.nextRun;
  await ctx.db
    .update(schedules)
    .set({
      enabled,
      nextRun,
      ...(resumed
        ? {
            updatedByType: who.type,
            updatedById: who.id,
            personalAccess: ownPersonal(ctx) !== undefined,
          }
        : {}),
      updatedAt: now,
    })
    .where(and(eq(schedules.teamId, ctx.teamId), eq(schedules.id, row.id)));
  return getSchedule({ ctx, scheduleId: row.id });
}

/** Deletes a schedule: no further slots start; the runs it started are kept. */
export async function deleteSchedule({ ctx, scheduleId }: { ctx: Ctx; scheduleId: string }) {
  const row = await getScheduleRow(ctx, scheduleId);
  requireRole(ctx, "member", "Deleting schedules");
  await ctx.db
    .delete(schedules)
    .where(and(eq(schedules.teamId, ctx.teamId), eq(schedules.id, row.id)));
  return { success: true };
}
