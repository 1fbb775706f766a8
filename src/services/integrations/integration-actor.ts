import type { Db } from "../../db/client.ts";
import type { Actor } from "../context.ts";
import { lastEditorActor } from "../last-editor-actor.ts";
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
