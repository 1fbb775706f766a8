import type { Db } from "../../db/client.ts";
import type { Actor } from "../context.ts";
import { lastEditorActor } from "../last-editor-actor.ts";
import type { ScheduleRow } from "./schedule-item.ts";

const TAKE_OVER =
  "a current member can take it over by saving it (PUT /api/v1/agent/schedules/{id}) or by pausing and resuming it";

/**
 * Who a schedule's runs act as: whoever last changed what it runs (`updated_by`: its creator, the
 * last to replace it, or the last to resume it; a pause does not count), with the role they hold
 * now, and so with their personal secrets (src/lib/personal-secrets.ts, rule 2). Never the owner
 * on an editor's behalf: a member who rewrites an admin's schedule gets a member's run. A user
 * who left the team or a service account without an active key cannot start runs; the spawn
 * error says so. `personal_access`: whether
 * that last change came through a key of the editor's own (not one an admin minted for them).
 */
export function scheduleActor(db: Db, row: ScheduleRow, now = Date.now()): Promise<Actor> {
  return lastEditorActor(
    db,
    {
      teamId: row.teamId,
      type: row.updatedByType,
      id: row.updatedById,
      keyId: `schedule:${row.id}`,
      personal: row.personalAccess,
      what: "the schedule",
      takeOver: TAKE_OVER.replace("{id}", row.id),
    },
    now,
  );
}
