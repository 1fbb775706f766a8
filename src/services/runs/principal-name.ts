import type { EventActor } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { agentIdentities, apiKeys, memberships, users } from "../../db/schema.ts";

/**
 * How presence names a teammate who attaches to a run (the Durable Object keeps it with the
 * socket and sends it to the run's team only, never to the public link): a member's display name
 * or email; a service account by its named agent's name, else the name of the key it attached
 * with. Read here, where the attach is authorized: a run's viewers may not read those lists.
 */
export async function principalName(
  db: Db,
  teamId: string,
  principal: EventActor,
  keyId?: string,
): Promise<string | undefined> {
  if (principal.type === "user") {
    const [row] = await db
      .select({ name: users.displayName, email: users.email })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.teamId, teamId), eq(memberships.userId, principal.id)))
      .limit(1);
    return row ? row.name?.trim() || row.email : undefined;
  }
  if (principal.type !== "service_account") return undefined;
  const [agent, key] = await db.batch([
    db
      .select({ name: agentIdentities.name })
      .from(agentIdentities)
      .where(and(eq(agentIdentities.teamId, teamId), eq(agentIdentities.id, principal.id)))
      .limit(1),
    db
      .select({ name: apiKeys.name })
      .from(apiKeys)
      .where(
        and(
          eq(apiKeys.teamId, teamId),
          eq(apiKeys.id, keyId ?? ""),
          eq(apiKeys.principalId, principal.id),
        ),
      )
      .limit(1),
  ]);
  return agent[0]?.name ?? key[0]?.name;
}
