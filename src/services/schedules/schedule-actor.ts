import { type Role, Role as RoleEnum } from "@ambit/protocol";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { apiKeys, memberships } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import type { Actor } from "../context.ts";
import type { ScheduleRow } from "./schedule-item.ts";

/**
 * Who a schedule's runs act as: its owner, with the role they hold now, and with their personal
 * access only while nobody else wrote the schedule (`personal_access`). A user who left the team
 * or a service account without an active key cannot start runs; the spawn error says so.
 */
export async function scheduleActor(db: Db, row: ScheduleRow, now = Date.now()): Promise<Actor> {
  const keyId = `schedule:${row.id}`;
  if (row.ownerType === "user") {
    const [m] = await db
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.teamId, row.teamId), eq(memberships.userId, row.ownerId)))
      .limit(1);
    if (!m) throw new AppError("not_authorized", `the schedule's owner (user ${row.ownerId}) is no longer a member of the team; delete the schedule or recreate it as a current member`);
    return { type: "user", id: row.ownerId, role: m.role, keyId, personal: row.personalAccess };
  }
  const keys = await db
    .select({ role: apiKeys.role })
    .from(apiKeys)
    .where(and(eq(apiKeys.teamId, row.teamId), eq(apiKeys.principalId, row.ownerId), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))));
  if (!keys.length) throw new AppError("not_authorized", `the schedule's owner (service account ${row.ownerId}) has no active API key; mint one or recreate the schedule`);
  const rank = (r: Role) => RoleEnum.options.length - RoleEnum.options.indexOf(r); // owner first in the enum
  const role = keys.map((k) => k.role).sort((a, b) => rank(b) - rank(a))[0];
  return { type: "service_account", id: row.ownerId, role, keyId, personal: row.personalAccess };
}
