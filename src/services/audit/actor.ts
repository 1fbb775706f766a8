import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { apiKeys, users } from "../../db/schema.ts";
import type { AuditActor } from "../../lib/audit-note.ts";
import { sessionUidOf } from "../../lib/web-session.ts";
import type { Actor } from "../context.ts";

/**
 * The audit actor of an authenticated caller: a console session is its member in person
 * (`member`, id the member's); an API key is `key` (id the key's), acting for its member. The
 * display name is read now, so the entry keeps it after a rename or removal.
 */
export async function auditActorOf(db: Db, teamId: string, actor: Actor): Promise<AuditActor> {
  if (actor.type === "system") return { type: "platform", id: "platform", name: "Ambit" };
  const session = sessionUidOf(actor.keyId);
  const personQuery = db
    .select({ email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, actor.id))
    .limit(1);
  if (session) {
    const [person] = await personQuery;
    return { type: "member", id: actor.id, name: nameOf(person, actor.id), memberId: actor.id };
  }
  // the member and the key in one round trip (every audited write through a key asks both)
  const [[person], [key]] = await db.batch([
    personQuery,
    db
      .select({ name: apiKeys.name })
      .from(apiKeys)
      .where(and(eq(apiKeys.teamId, teamId), eq(apiKeys.id, actor.keyId)))
      .limit(1),
  ]);
  const who = nameOf(person, actor.id);
  const name = key ? `${key.name} (${who})` : who;
  return { type: "key", id: actor.keyId, name, memberId: actor.id };
}

const nameOf = (person: { email: string; displayName: string | null } | undefined, id: string) =>
  person ? (person.displayName ?? person.email) : id;
