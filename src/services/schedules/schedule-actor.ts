import { type Role, Role as RoleEnum } from "@ambit/protocol";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { apiKeys, memberships } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import type { Actor } from "../context.ts";
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
export async function scheduleActor(db: Db, row: ScheduleRow, now = Date.now()): Promise<Actor> {
  const keyId = `schedule:${row.id}`;
  const id = row.updatedById;
  const takeOver = TAKE_OVER.replace("{id}", row.id);
  if (row.updatedByType === "user") {
    const [m] = await db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.teamId, row.teamId), eq(memberships.userId, id)))
      .limit(1);
    if (!m)
      throw new AppError(
        "not_authorized",
        `the schedule runs as whoever last changed it, user ${id}, who is no longer a member of the team; ${takeOver}`,
      );
    return { type: "user", id, role: m.role, keyId, personal: row.personalAccess };
  }
  const keys = await db
    .select({ role: apiKeys.role })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.teamId, row.teamId),
        eq(apiKeys.principalId, id),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
      ),
    );
  if (!keys.length)
    throw new AppError(
      "not_authorized",
      `the schedule runs as whoever last changed it, service account ${id}, which has no active API key; mint one, or ${takeOver}`,
    );
  const rank = (r: Role) => RoleEnum.options.length - RoleEnum.options.indexOf(r); // owner first in the enum
  const role = keys.map((k) => k.role).sort((a, b) => rank(b) - rank(a))[0];
  return { type: "service_account", id, role, keyId, personal: row.personalAccess };
}
