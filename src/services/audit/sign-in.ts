import { eq } from "drizzle-orm";
import { recordAuditSafely } from "../../db/audit-log.ts";
import { createDb } from "../../db/client.ts";
import { apiKeys, users } from "../../db/schema.ts";
import type { AuditActor } from "../../lib/audit-note.ts";
import { sha256Hex } from "../../lib/hash.ts";
import { log } from "../../lib/log.ts";
import type { NewSession } from "../web-sessions.ts";

type Client = { ip: string | null; userAgent: string | null; requestId: string | null };

/** A console sign-in that opened a session: `auth.sign_in`, the member in person as actor. */
export async function recordSignIn(
  env: Env,
  session: NewSession,
  via: "key" | "link" | "sso",
  client: Client,
) {
  await recordAuditSafely(env, {
    teamId: session.teamId,
    actor: await memberInPerson(env, session.userId),
    action: "auth.sign_in",
    target: { type: "session", id: session.uid },
    changes: { via: { after: via }, ...(session.keyId ? { key: { after: session.keyId } } : {}) },
    ...client,
  });
}

/**
 * A refused sign-in with an API key: `auth.sign_in_failed` in the team of the key, when the key
 * is one (revoked, expired, a service account's, its member gone); a string that is no key of
 * any team names no team, so it is only logged.
 */
export async function recordSignInFailure(env: Env, apiKey: string, why: string, client: Client) {
  const [key] = await createDb(env.DB)
    .select({ id: apiKeys.id, teamId: apiKeys.teamId, principalId: apiKeys.principalId })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, await sha256Hex(apiKey.trim())))
    .limit(1);
  if (!key) {
    log.warn("console sign-in refused: not a key of any team", { ...client, why });
    return;
  }
  await recordAuditSafely(env, {
    teamId: key.teamId,
    actor: { type: "key", id: key.id, memberId: key.principalId },
    action: "auth.sign_in_failed",
    target: { type: "api_key", id: key.id },
    changes: { reason: { after: why } },
    ...client,
  });
}

/** The console's sign-out of a session: `auth.sign_out`, its member as actor. */
export async function recordSignOut(
  env: Env,
  ended: { uid: string; teamId: string; userId: string },
  client: Client,
) {
  await recordAuditSafely(env, {
    teamId: ended.teamId,
    actor: await memberInPerson(env, ended.userId),
    action: "auth.sign_out",
    target: { type: "session", id: ended.uid },
    ...client,
  });
}

async function memberInPerson(env: Env, userId: string): Promise<AuditActor> {
  const [person] = await createDb(env.DB)
    .select({ email: users.email, displayName: users.displayName })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1);
  const name = person ? (person.displayName ?? person.email) : null;
  return { type: "member", id: userId, name, memberId: userId };
}
