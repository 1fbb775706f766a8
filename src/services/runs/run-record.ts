import { and, eq, or } from "drizzle-orm";
import { runs } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import type { Ctx } from "../context.ts";
import { getRunInTeam } from "./get-run.ts";
import { visibleTo } from "./sharing.ts";
import { allRunEvents } from "./run-events.ts";
import { buildConversation, buildTimeline } from "./views.ts";

export async function getRunConversation({ ctx, runId }: { ctx: Ctx; runId: string }) {
  const { row } = await getRunInTeam(ctx, runId);
  return buildConversation(row.conversationId ?? row.id, await allRunEvents(ctx, row.id));
}

/** A conversation by its id: the run that carries it (a run's own id is its conversation's id). */
export async function getConversation({
  ctx,
  conversationId,
}: {
  ctx: Ctx;
  conversationId: string;
}) {
  const [row] = await ctx.db
    .select({ id: runs.id })
    .from(runs)
    .where(
      and(
        eq(runs.teamId, ctx.teamId),
        or(eq(runs.conversationId, conversationId), eq(runs.id, conversationId)),
        visibleTo(ctx),
      ),
    )
    .orderBy(runs.createdAt)
    .limit(1);
  if (!row) throw notFound("Conversation", conversationId);
  return buildConversation(conversationId, await allRunEvents(ctx, row.id));
}

export async function getRunTimeline({ ctx, runId }: { ctx: Ctx; runId: string }) {
  const { row } = await getRunInTeam(ctx, runId);
  return buildTimeline(row.id, await allRunEvents(ctx, row.id));
}
