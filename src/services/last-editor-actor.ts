import { type Role, Role as RoleEnum } from "@ambit/protocol";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { apiKeys, memberships } from "../db/schema.ts";
import { AppError } from "../lib/errors.ts";
import type { Actor } from "./context.ts";

/** The role `userId` holds in the team now, or null when they are not a member. */
export async function memberRole(db: Db, teamId: string, userId: string): Promise<Role | null> {
  const [m] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.teamId, teamId), eq(memberships.userId, userId)))
    .limit(1);
  return m?.role ?? null;
}

/**
 * The actor a platform trigger (a schedule, an integration) acts as: whoever last changed what it
 * runs, with the role they hold now. A user who left the team, or a service account without an
 * active key, cannot start runs: the error names `what` and how to `takeOver`.
 */
export async function lastEditorActor(
  db: Db,
  editor: {
    teamId: string;
    type: "user" | "service_account";
    id: string;
    keyId: string;
    personal: boolean;
    what: string;
    takeOver: string;
  },
  now = Date.now(),
): Promise<Actor> {
  const { id, keyId, personal, what, takeOver } = editor;
  if (editor.type === "user") {
    const role = await memberRole(db, editor.teamId, id);
    if (!role)
      throw new AppError(
        "not_authorized",
        `${what} runs as whoever last changed it, user ${id}, who is no longer a member of the team; ${takeOver}`,
      );
    return { type: "user", id, role, keyId, personal };
  }
  const keys = await db
    .select({ role: apiKeys.role })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.teamId, editor.teamId),
        eq(apiKeys.principalId, id),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
      ),
    );
  if (!keys.length)
    throw new AppError(
      "not_authorized",
      `${what} runs as whoever last changed it, service account ${id}, which has no active API key; mint one, or ${takeOver}`,
    );
  const rank = (r: Role) => RoleEnum.options.length - RoleEnum.options.indexOf(r); // owner first in the enum
  const role = keys.map((k) => k.role).sort((a, b) => rank(b) - rank(a))[0];
  return { type: "service_account", id, role, keyId, personal };
}
