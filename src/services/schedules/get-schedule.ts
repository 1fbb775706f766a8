import type { ScheduledAgentItem } from "@ambit/protocol";
import { and, asc, eq, or } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { schedules, users } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { type Ctx, ownPersonal } from "../context.ts";
import { type ScheduleRow, toScheduledAgentItem } from "./schedule-item.ts";

/** Schedules the caller may see and edit: the team's, and their own personal ones (through a key of their own). */
export const scheduleVisibleTo = (ctx: Ctx) => {
  const own = ownPersonal(ctx);
  return or(
    eq(schedules.scope, "Team"),
    own === undefined ? undefined : eq(schedules.ownerId, own),
  );
};

const owner = alias(users, "owner");
const editor = alias(users, "editor");

function selectItems(ctx: Ctx) {
  return ctx.db
    .select({
      row: schedules,
      ownerName: owner.displayName,
      ownerEmail: owner.email,
      editorName: editor.displayName,
      editorEmail: editor.email,
    })
    .from(schedules)
    .leftJoin(owner, eq(owner.id, schedules.ownerId))
    .leftJoin(editor, eq(editor.id, schedules.updatedById));
}

type Joined = Awaited<ReturnType<ReturnType<typeof selectItems>["where"]>>[number];
const toItem = (r: Joined) =>
  toScheduledAgentItem(
    r.row,
    { displayName: r.ownerName, email: r.ownerEmail },
    { displayName: r.editorName, email: r.editorEmail },
  );

/** The schedule's row if it is in the caller's team and visible to them, else `resource_not_found`. */
export async function getScheduleRow(ctx: Ctx, scheduleId: string): Promise<ScheduleRow> {
  const [row] = await ctx.db
    .select()
    .from(schedules)
    .where(
      and(eq(schedules.teamId, ctx.teamId), eq(schedules.id, scheduleId), scheduleVisibleTo(ctx)),
    )
    .limit(1);
  if (!row) throw notFound("Schedule", scheduleId);
  return row;
}

export async function getSchedule({
  ctx,
  scheduleId,
}: {
  ctx: Ctx;
  scheduleId: string;
}): Promise<ScheduledAgentItem> {
  const [hit] = await selectItems(ctx)
    .where(
      and(eq(schedules.teamId, ctx.teamId), eq(schedules.id, scheduleId), scheduleVisibleTo(ctx)),
    )
    .limit(1);
  if (!hit) throw notFound("Schedule", scheduleId);
  return toItem(hit);
}

/** Every schedule the caller can see, sorted by name (Oz: no pagination). */
export async function listSchedules({
  ctx,
}: {
  ctx: Ctx;
}): Promise<{ schedules: ScheduledAgentItem[] }> {
  const rows = await selectItems(ctx)
    .where(and(eq(schedules.teamId, ctx.teamId), scheduleVisibleTo(ctx)))
    .orderBy(asc(schedules.name), asc(schedules.id));
  return { schedules: rows.map(toItem) };
}
