import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { apiKeys, users } from "../../db/schema.ts";
import type { AuditActor } from "../../lib/audit-note.ts";
import { sessionUidOf } from "../../lib/web-session.ts";
import type { Actor } from "../context.ts";

/**
 * The audit actor of an authenticated caller: a console session is its member in person
 * (`member`, id the member's); an API key is `key` (id the key's), acting for its member. The
 * display name is read now, so the entry keeps it after a rename or removal. A key's request
 * read it already with the key (`auditName`, services/authenticate.ts): no query then.
 */
export async function auditActorOf(
  db: Db,
  teamId: string,
  actor: Actor,
  auditName?: string,
): Promise<AuditActor> {
  if (actor.type === "system") return { type: "platform", id: "platform", name: "Ambit" };
  const session = sessionUidOf(actor.keyId);
  if (!session && auditName !== undefined)
    return { type: "key", id: actor.keyId, name: auditName, memberId: actor.id };
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
  const name = keyAuditName(key?.name, person, actor.id);
  return { type: "key", id: actor.keyId, name, memberId: actor.id };
}

/** A key's actor name in an entry: `<key name> (<its member's name>)`. */
export function keyAuditName(keyName: string | undefined, person: Person | undefined, id: string) {
  const who = nameOf(person, id);
  return keyName !== undefined ? `${keyName} (${who})` : who;
}

type Person = { email: string; displayName: string | null };
const nameOf = (person: Person | undefined, id: string) =>
  person ? (person.displayName ?? person.email) : id;
