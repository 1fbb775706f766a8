import type { EventActor, Role } from "@ambit/protocol";
import { and, eq, notInArray } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import {
  apiKeys,
  liveAttachments,
  memberships,
  runs,
  serviceAccounts,
} from "../../src/db/schema.ts";
import { keyStanding } from "../../src/lib/roles.ts";
import { sessionAsKey, sessionUidOf } from "../../src/lib/web-session.ts";
import { accessOf, canSee } from "../../src/lib/run-access.ts";
import { log } from "../../src/lib/log.ts";

// A principal's access to a run as D1 has it now: the run's sharing, their membership and role,
// and the API key they attached with (directly or through an attach token it minted). Read at
// every steering frame, at every attach (with the registration of the connection in
// `live_attachments`, in one batch) and when a service says a principal's standing changed.
// A Durable Object does not import services (durable-objects/README.md), so it reads D1 itself; the rules are the
// pure ones the services use (`lib/run-access.ts`, `lib/roles.ts`).

/** Whose standing: a connection's principal on one run, with the key behind it. */
export type Who = { teamId: string; runId: string; principal: EventActor; keyId?: string };
/** `reason` NONE: the credential acts no more (`revoked`, `expired`, `not_member`, `no_key`, `kind`) or the run is not shared with it (`run`). */
export type Standing =
  /** `personal`: whether the key behind it reaches its principal's personal resources (a key an admin minted for them does not) */
  | { access: "EDITOR" | "VIEWER"; personal: boolean }
  | { access: "NONE"; reason: keyof typeof WHY; why: string };

/** Principals whose standing lives in D1 (the public link and hosts have theirs elsewhere). */
export const isTeamPrincipal = (
  p: EventActor,
): p is EventActor & { type: "user" | "service_account" } =>
  p.type === "user" || p.type === "service_account";

const WHY = {
  revoked: "the API key (or web session) it was attached with was revoked",
  expired: "the API key (or web session) it was attached with expired",
  not_member: "its user is no longer a member of the team",
  no_key: "it names no API key; attach again with a current key or token",
  run: "the run is no longer shared with it",
  kind: "only users and service accounts steer runs",
};

const none = (reason: keyof typeof WHY): Standing => ({ access: "NONE", reason, why: WHY[reason] });

function queries(d1: D1Database, who: Who) {
  const db = createDb(d1);
  const session = sessionUidOf(who.keyId);
  return [
    db
      .select({
        creatorId: runs.creatorId,
        scope: runs.scope,
        shareTeam: runs.shareTeam,
        agentConfig: runs.agentConfig,
      })
      .from(runs)
      .where(and(eq(runs.id, who.runId), eq(runs.teamId, who.teamId)))
      .limit(1),
    // a service account's role caps its keys as a member's does theirs
    who.principal.type === "service_account"
      ? db
          .select({ role: serviceAccounts.role })
          .from(serviceAccounts)
          .where(
            and(eq(serviceAccounts.teamId, who.teamId), eq(serviceAccounts.id, who.principal.id)),
          )
          .limit(1)
      : db
          .select({ role: memberships.role })
          .from(memberships)
          .where(and(eq(memberships.teamId, who.teamId), eq(memberships.userId, who.principal.id)))
          .limit(1),
    session === undefined
      ? db
          .select({
            role: apiKeys.role,
            revokedAt: apiKeys.revokedAt,
            expiresAt: apiKeys.expiresAt,
            principalType: apiKeys.principalType,
            personal: apiKeys.personalAccess,
          })
          .from(apiKeys)
          .where(
            and(
              eq(apiKeys.id, who.keyId ?? ""),
              eq(apiKeys.teamId, who.teamId),
              eq(apiKeys.principalId, who.principal.id),
            ),
          )
          .limit(1)
      : // a web session stands for the key it came from (or its user, for a sign-in link's)
        sessionAsKey(db, { teamId: who.teamId, uid: session, userId: who.principal.id }),
  ] as const;
}

/** What the three queries answer, in order (a drizzle query awaits to its rows). */
type Rows = Answers<ReturnType<typeof queries>>;
type Answers<Q extends readonly unknown[]> = { -readonly [K in keyof Q]: Awaited<Q[K]> };

function decide(who: Who, [[run], [member], [key]]: Rows, now: number): Standing {
  if (!isTeamPrincipal(who.principal)) return none("kind");
  // a user no longer in the team says so first (their keys were revoked with the membership)
  if (who.principal.type === "user" && !member) return none("not_member");
  let role: Role;
  // whether the key reaches its principal's personal runs (a key an admin minted for them does not)
  let personal = false;
  if (who.keyId) {
    if (!key) return none("revoked");
    const standing = keyStanding(key, member?.role ?? null, now);
    if ("denied" in standing) return none(standing.denied);
    role = standing.role;
    personal = key.personal;
  } else if (who.principal.type === "user" && member) {
    role = member.role; // an attach token minted before tokens named their key: its user's role
  } else {
    return none(who.principal.type === "user" ? "not_member" : "no_key");
  }
  const caller = { id: who.principal.id, role, personal };
  if (!run || !canSee(run, caller)) return none("run");
  return { access: accessOf(run, caller), personal };
}

/** The principal's access to the run now. */
export async function standingOf(d1: D1Database, who: Who, now = Date.now()): Promise<Standing> {
  const [run, member, key] = queries(d1, who);
  return decide(who, await createDb(d1).batch([run, member, key]), now);
}

/**
 * Records a new connection in `live_attachments` and reads its principal's standing, in one D1
 * batch: a removal that commits before it is seen here, one after it finds the row and is told.
 */
export async function registerAttachment(
  d1: D1Database,
  who: Who,
  connId: string,
  now = Date.now(),
): Promise<Standing> {
  const db = createDb(d1);
  const insert = db.insert(liveAttachments).values({
    connId,
    teamId: who.teamId,
    runId: who.runId,
    principalId: who.principal.id,
    keyId: who.keyId ?? null,
    attachedAt: now,
  });
  const [run, member, key] = queries(d1, who);
  const [, ...rows] = await db.batch([insert, run, member, key]);
  return decide(who, rows, now);
}

/** Forgets a connection that closed (best effort: a row left behind is pruned by `pruneAttachments`). */
export async function forgetAttachment(d1: D1Database, connId: string) {
  await createDb(d1)
    .delete(liveAttachments)
    .where(eq(liveAttachments.connId, connId))
    .catch((err: unknown) =>
      log.error("live attachment not forgotten", { conn: connId, error: err }),
    );
}

/** Forgets the run's connections that are not open here any more (closed while nobody listened). */
export async function pruneAttachments(d1: D1Database, runId: string, open: string[]) {
  const db = createDb(d1);
  const mine = eq(liveAttachments.runId, runId);
  await db
    .delete(liveAttachments)
    .where(open.length ? and(mine, notInArray(liveAttachments.connId, open)) : mine);
}
