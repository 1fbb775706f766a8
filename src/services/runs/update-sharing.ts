import type { RunSharing, UpdateRunSharingRequest } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { runs } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import { actsPersonallyAs, type Ctx, requireRole, roleAtLeast } from "../context.ts";
import { getRunInTeam } from "./get-run.ts";
import { runSession } from "../../../durable-objects/stubs.ts";
import { assertTeamAccessFits, newShareId, sharingOf, teamAccessOf } from "./sharing.ts";

const RANK = { NONE: 0, VIEWER: 1, EDITOR: 2 } as const;

/**
 * Changes who besides its creator sees and steers a run: its creator or a team admin. Turning the
 * public link off revokes it for good (turning it on again makes a new one). When access shrinks,
 * everyone attached but the creator is disconnected, so each reconnects with what they have now.
 */
export async function updateRunSharing({
  ctx,
  runId,
  input,
}: {
  ctx: Ctx;
  runId: string;
  input: UpdateRunSharingRequest;
}): Promise<RunSharing> {
  requireRole(ctx, "member", "Changing a run's sharing");
  const { row } = await getRunInTeam(ctx, runId);
  if (!actsPersonallyAs(ctx, row.creatorId) && !roleAtLeast(ctx.actor.role, "admin")) {
    throw new AppError(
      "not_authorized",
      "only the run's creator or a team admin may change who it is shared with; ask them to share it",
    );
  }
  const team = input.team ?? teamAccessOf(row);
  assertTeamAccessFits(row.scope, team);
  const publicId =
    input.public === undefined
      ? row.sharePublicId
      : input.public === "VIEWER"
        ? (row.sharePublicId ?? newShareId())
        : null;
  await ctx.db
    .update(runs)
    .set({ shareTeam: team, sharePublicId: publicId })
    .where(and(eq(runs.teamId, ctx.teamId), eq(runs.id, row.id)));
  const shrank =
    RANK[team] < RANK[teamAccessOf(row)] || (row.sharePublicId !== null && publicId === null);
  if (shrank)
    await runSession(ctx.env, row.id).dropWatchers(
      { runId: row.id, teamId: ctx.teamId },
      row.creatorId,
    );
  return sharingOf({ ...row, shareTeam: team, sharePublicId: publicId }, ctx.baseUrl);
}
