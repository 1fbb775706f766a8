import type { Db } from "../../db/client.ts";
import { AppError } from "../../lib/errors.ts";
import type { Actor } from "../context.ts";
import { lastEditorActor, memberRole } from "../last-editor-actor.ts";
import type { IntegrationRow } from "./integration-item.ts";

/**
 * Who an integration's runs and follow-ups act as: the admin who last configured it
 * (`updated_by`), with the role they hold now (as schedules do). Never with their personal
 * secrets: a delivery is written by someone outside the team, so its runs get the team's.
 */
export const integrationActor = (db: Db, row: IntegrationRow): Promise<Actor> =>
  lastEditorActor(db, {
    teamId: row.teamId,
    type: row.updatedByType,
    id: row.updatedById,
    keyId: `integration:${row.id}`,
    personal: false,
    what: "the integration",
    takeOver: `an admin can take it over by saving it (PATCH /api/v1/integrations/${row.id})`,
  });

/**
 * A team member a delivery was matched to (a Slack user linked to them), with the role they hold
 * now: the runs, follow-ups and cancels they ask for from the integration act as them (never with
 * their personal secrets: the request came through a third party's servers).
 */
export async function memberActor(db: Db, row: IntegrationRow, userId: string): Promise<Actor> {
  const role = await memberRole(db, row.teamId, userId);
  if (!role)
    throw new AppError(
      "not_authorized",
      `user ${userId} is no longer a member of the team, so the integration acts for them no more`,
    );
  return { type: "user", id: userId, role, keyId: `integration:${row.id}`, personal: false };
}
