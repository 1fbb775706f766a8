import type { Role } from "@ambit/protocol";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { apiKeys, memberships, serviceAccounts } from "../db/schema.ts";
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
 * runs, with the role they hold now (a service account's own role, not its keys'). A user who left
 * the team, or a service account deleted or without an active key, cannot start runs: the error
 * names `what` and how to `takeOver`.
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
  // the account's own role, as its member entry has it (its keys' roles are each at most that)
  const [[account], keys] = await db.batch([
    db
      .select({ role: serviceAccounts.role })
      .from(serviceAccounts)
      .where(and(eq(serviceAccounts.teamId, editor.teamId), eq(serviceAccounts.id, id)))
      .limit(1),
    db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.teamId, editor.teamId),
          eq(apiKeys.principalId, id),
          isNull(apiKeys.revokedAt),
          or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
        ),
      )
      .limit(1),
  ]);
  if (!account)
    throw new AppError(
      "not_authorized",
      `${what} runs as whoever last changed it, service account ${id}, which no longer exists; ${takeOver}`,
    );
  if (!keys.length)
    throw new AppError(
      "not_authorized",
      `${what} runs as whoever last changed it, service account ${id}, which has no active API key; mint one, or ${takeOver}`,
    );
  return { type: "service_account", id, role: account.role, keyId, personal };
}
