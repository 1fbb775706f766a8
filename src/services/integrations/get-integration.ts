import type { IntegrationItem, ListIntegrationsResponse } from "@ambit/protocol";
import { and, asc, eq } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { integrations, users } from "../../db/schema.ts";
import { notFound } from "../../lib/errors.ts";
import { type Ctx, requireRole } from "../context.ts";
import { type IntegrationRow, toIntegrationItem } from "./integration-item.ts";

const creator = alias(users, "creator");
const editor = alias(users, "editor");

const inTeam = (ctx: Ctx, id: string) =>
  and(eq(integrations.teamId, ctx.teamId), eq(integrations.id, id));

/** Members read integrations (their settings steer runs they may be asked about); admins write. */
export const requireReader = (ctx: Ctx) => requireRole(ctx, "member", "Reading integrations");

/** The integration's row in the caller's team, else `resource_not_found` (another team's too). */
export async function getIntegrationRow(ctx: Ctx, id: string): Promise<IntegrationRow> {
  const [row] = await ctx.db.select().from(integrations).where(inTeam(ctx, id)).limit(1);
  if (!row) throw notFound("Integration", id);
  return row;
}

function selectItems(ctx: Ctx) {
  return ctx.db
    .select({
      row: integrations,
      creatorName: creator.displayName,
      creatorEmail: creator.email,
      editorName: editor.displayName,
      editorEmail: editor.email,
    })
    .from(integrations)
    .leftJoin(creator, eq(creator.id, integrations.createdById))
    .leftJoin(editor, eq(editor.id, integrations.updatedById));
}

type Joined = Awaited<ReturnType<ReturnType<typeof selectItems>["where"]>>[number];
const toItem = (ctx: Ctx, r: Joined) =>
  toIntegrationItem(
    r.row,
    {
      creator: { displayName: r.creatorName, email: r.creatorEmail },
      editor: { displayName: r.editorName, email: r.editorEmail },
    },
    ctx.baseUrl,
  );

export async function getIntegration({
  ctx,
  id,
}: {
  ctx: Ctx;
  id: string;
}): Promise<IntegrationItem> {
  requireReader(ctx);
  const [hit] = await selectItems(ctx).where(inTeam(ctx, id)).limit(1);
  if (!hit) throw notFound("Integration", id);
  return toItem(ctx, hit);
}

/** Every integration of the team, sorted by name (a team has few: not paginated). */
export async function listIntegrations({ ctx }: { ctx: Ctx }): Promise<ListIntegrationsResponse> {
  requireReader(ctx);
  const rows = await selectItems(ctx)
    .where(eq(integrations.teamId, ctx.teamId))
    .orderBy(asc(integrations.name), asc(integrations.id));
  return { integrations: rows.map((r) => toItem(ctx, r)) };
}
