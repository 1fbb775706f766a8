import { and, desc, eq, gt, lt, ne, or } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import {
  deviceLogins,
  memberships,
  signInLinks,
  ssoLogins,
  teamConfigVersions,
  teamSso,
  webSessions,
} from "../db/schema.ts";
import { AppError, notFound } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { newUid } from "../lib/ids.ts";
import { keyStanding } from "../lib/roles.ts";
import { iso } from "../lib/time.ts";
import {
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
  selectSessionsAsKeys,
  sessionCredential,
  sessionUidOf,
} from "../lib/web-session.ts";
import { authenticateApiKey } from "./authenticate.ts";
import { isRestricted } from "../lib/scopes.ts";
import type { Actor, Ctx } from "./context.ts";
import { recheckLiveAccess } from "./runs/live-access.ts";

// Web console sessions (docs/security.md "Credentials"). The token is 32 random bytes, in the
// cookie only; D1 keeps its SHA-256. A session acts as its user with their role now, never above
// the API key it came from, and ends with that key, with the membership, or when deleted.

const LAST_SEEN_GRANULARITY_MS = 60_000;

/** A fresh session for a sign-in: its token (for the cookie, never stored) and when it ends. */
export type NewSession = {
  token: string;
  uid: string;
  expiresAt: number;
  /** whose session it is (the audit log's sign-in entry names them) */
  teamId: string;
  userId: string;
  keyId: string | null;
};
type NewSessionOf = {
  teamId: string;
  userId: string;
  keyId: string | null;
  personal: boolean;
  via: "key" | "link" | "sso";
  userAgent?: string;
};

/** 32 random bytes, base64url (43 characters). */
function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function createSession(db: Db, s: NewSessionOf, now: number): Promise<NewSession> {
  const token = newToken();
  const uid = newUid();
  const expiresAt = now + SESSION_ABSOLUTE_MS;
  await db.insert(webSessions).values({
    id: uid,
    tokenHash: await sha256Hex(token),
    teamId: s.teamId,
    userId: s.userId,
    keyId: s.keyId,
    personal: s.personal,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    userAgent: s.userAgent?.slice(0, 300) ?? null,
    via: s.via,
  });
  return { token, uid, expiresAt, teamId: s.teamId, userId: s.userId, keyId: s.keyId };
}

/**
 * Consumes a one-time sign-in link (deleted as it is read, so a second use finds nothing) and
 * opens a session as its user, in person. Null when the link is unknown, used or expired, or its
 * user left the team: the caller says only that the link no longer works.
 */
export async function signInWithLink(
  { db, token, userAgent }: { db: Db; token: string; userAgent?: string },
  now = Date.now(),
): Promise<NewSession | null> {
  const hash = await sha256Hex(token);
  const [link] = await db.delete(signInLinks).where(eq(signInLinks.tokenHash, hash)).returning();
  if (!link || link.expiresAt <= now) return null;
  const [member] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.teamId, link.teamId), eq(memberships.userId, link.userId)))
    .limit(1);
  if (!member) return null;
  const { teamId, userId } = link;
  await refuseUnlessSso(db, teamId);
  const s = { teamId, userId, keyId: null, personal: true, via: "link" as const, userAgent };
  return createSession(db, s, now);
}

const KEY_WAYS_IN =
  "Sign in with an API key of your own (`ambit api-key create`, or one your team's admin made " +
  "for you), or, on a platform started with `npm start`, the link it printed or a new one from " +
  "`npm run sign-in-link`.";

/**
 * Opens a session from a user's API key: it acts no higher than the key, ends when the key is
 * revoked or expires, and reaches personal resources only if the key does. A service account's
 * key is refused: the console is for people.
 */
export async function signInWithKey(
  { db, apiKey, userAgent }: { db: Db; apiKey: string; userAgent?: string },
  now = Date.now(),
): Promise<NewSession> {
  const { teamId, actor } = await authenticateApiKey(db, `Bearer ${apiKey.trim()}`, now).catch(
    (err: unknown) => {
      if (!(err instanceof AppError)) throw err;
      // the key's refusal says why (unknown, revoked, expired, left the team); the way in differs
      const notAKey = "This is not an API key (they start with ambit_)";
      const why = err.message.split(". ")[0].replace(/^The Authorization header .*/, notAKey);
      throw new AppError(err.code, `${why}. ${KEY_WAYS_IN}`);
    },
  );
  if (actor.type !== "user") {
    throw new AppError(
      "not_authorized",
      "this is a service account's API key (a named agent's), and only people sign in to the " +
        "console: sign in with an API key of your own user (`ambit api-key create` as yourself), " +
        "or a sign-in link (`npm run sign-in-link` on a local platform)",
    );
  }
  if (actor.scopes && isRestricted(actor.scopes, actor.role)) {
    // a session acts with its user's role's full power: a key minted for less may not open one
    throw new AppError(
      "insufficient_scope",
      `this API key is limited to ${actor.scopes.join(", ") || "no scope"}, and the console acts ` +
        `with your role's full power: sign in with a key of every scope your role allows. ${KEY_WAYS_IN}`,
    );
  }
  await refuseUnlessSso(db, teamId);
  const { keyId, personal } = actor;
  const s = { teamId, userId: actor.id, keyId, personal, via: "key" as const, userAgent };
  return createSession(db, s, now);
}

/** Opens a session for a member who signed in through the team's single sign-on, in person. */
export function signInWithSso(
  { db, teamId, userId, userAgent }: { db: Db; teamId: string; userId: string; userAgent?: string },
  now = Date.now(),
): Promise<NewSession> {
  const s = { teamId, userId, keyId: null, personal: true, via: "sso" as const, userAgent };
  return createSession(db, s, now);
}

/** Throws `not_authorized` (with `sso_required` and the team) when the team requires its SSO. */
async function refuseUnlessSso(db: Db, teamId: string) {
  const [sso] = await db
    .select({ required: teamSso.required })
    .from(teamSso)
    .where(eq(teamSso.teamId, teamId))
    .limit(1);
  if (!sso?.required) return;
  throw new AppError(
    "not_authorized",
    "this team requires single sign-on for the console: sign in with your identity provider at " +
      `/api/v1/auth/sso/start?team=${teamId} (the sign-in page's "Sign in with SSO"). API keys ` +
      "still work for the API and the CLI.",
    { sso_required: true, team_uid: teamId },
  );
}

/**
 * Ends the team's sessions not opened through its SSO (it was just made required), with their
 * live connections.
 */
export async function endSessionsNotViaSso(ctx: Ctx): Promise<void> {
  const ended = await ctx.db
    .delete(webSessions)
    .where(and(eq(webSessions.teamId, ctx.teamId), ne(webSessions.via, "sso")))
    .returning({ uid: webSessions.id });
  await endLive(
    ctx,
    ended.map((e) => e.uid),
  );
}

const ENDED =
  "Your web session has ended (signed out, revoked, expired, or unused for 7 days, or the API " +
  "key it came from was revoked). Sign in again at /sign-in, or send 'Authorization: Bearer " +
  "<API key>' instead of the cookie.";

type SessionAuth = {
  teamId: string;
  actor: Extract<Actor, { keyId: string }>;
  configVersion: number;
  touch?: () => Promise<unknown>;
};

/**
 * Resolves a session cookie's token to its team and actor, like `authenticateApiKey` does a key:
 * the role is read now (the key's role capped by the member's), so a removal, a lower role or a
 * revoked key takes effect on the next request. `touch` records the use at most once a minute.
 */
export async function authenticateSession(
  db: Db,
  token: string,
  now = Date.now(),
): Promise<SessionAuth> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new AppError("authentication_required", ENDED);
  const extra = {
    uid: webSessions.id,
    teamId: webSessions.teamId,
    lastSeenAt: webSessions.lastSeenAt,
    configVersion: teamConfigVersions.version,
  };
  const [row] = await selectSessionsAsKeys(db, extra)
    .leftJoin(teamConfigVersions, eq(teamConfigVersions.teamId, webSessions.teamId))
    .where(eq(webSessions.tokenHash, await sha256Hex(token)))
    .limit(1);
  const standing = row ? keyStanding(row, row.memberRole, now) : undefined;
  if (!row || !standing || "denied" in standing) {
    throw new AppError("authentication_required", ENDED);
  }
  const staleBefore = now - LAST_SEEN_GRANULARITY_MS;
  const touch = () =>
    db
      .update(webSessions)
      .set({ lastSeenAt: now })
      .where(and(eq(webSessions.id, row.uid), lt(webSessions.lastSeenAt, staleBefore)));
  return {
    teamId: row.teamId,
    actor: {
      type: "user",
      id: row.userId,
      role: standing.role,
      keyId: sessionCredential(row.uid),
      personal: Boolean(row.personal),
    },
    configVersion: row.configVersion ?? 0,
    touch: row.lastSeenAt < staleBefore ? touch : undefined,
  };
}

/** Ends the session of this cookie token, if any (signing out twice, or signed out, is fine). */
export async function signOut(input: {
  db: Db;
  env: Env;
  token: string | undefined;
  requestId: string;
}): Promise<{ uid: string; teamId: string; userId: string } | undefined> {
  const { db, token } = input;
  if (!token) return;
  const [ended] = await db
    .delete(webSessions)
    .where(eq(webSessions.tokenHash, await sha256Hex(token)))
    .returning({ uid: webSessions.id, teamId: webSessions.teamId, userId: webSessions.userId });
  if (ended) await endLive({ ...input, teamId: ended.teamId }, [ended.uid]);
  return ended;
}

/** Closes the live connections (websockets, SSE) attached through these sessions. */
async function endLive(ctx: Pick<Ctx, "db" | "env" | "requestId" | "teamId">, uids: string[]) {
  await Promise.all(uids.map((uid) => recheckLiveAccess(ctx, { keyId: sessionCredential(uid) })));
}

/**
 * Ends every session that came from an API key (it was revoked), with their live connections.
 * Called after the key's revocation is written.
 */
export async function endSessionsOfKey(ctx: Ctx, keyId: string): Promise<void> {
  const ended = await ctx.db
    .delete(webSessions)
    .where(and(eq(webSessions.teamId, ctx.teamId), eq(webSessions.keyId, keyId)))
    .returning({ uid: webSessions.id });
  await endLive(
    ctx,
    ended.map((e) => e.uid),
  );
}

/** The statement that deletes a member's sessions, for the batch that removes them. */
export const deleteSessionsOfMember = (ctx: Ctx, userId: string) =>
  ctx.db
    .delete(webSessions)
    .where(and(eq(webSessions.teamId, ctx.teamId), eq(webSessions.userId, userId)));

/**
 * The caller's own sessions, live ones only. A credential that does not reach its user's personal
 * resources (a key an admin minted for them, or a session from one) sees only sessions like it.
 */
export async function listWebSessions({ ctx }: { ctx: Ctx }, now = Date.now()) {
  const live = [gt(webSessions.expiresAt, now), gt(webSessions.lastSeenAt, now - SESSION_IDLE_MS)];
  const rows = await ctx.db
    .select()
    .from(webSessions)
    .where(and(...ownSessions(ctx), ...live))
    .orderBy(desc(webSessions.lastSeenAt));
  const current = sessionUidOf("keyId" in ctx.actor ? ctx.actor.keyId : undefined);
  return rows.map((r) => ({
    uid: r.id,
    created_at: iso(r.createdAt),
    last_seen_at: iso(r.lastSeenAt),
    expires_at: iso(Math.min(r.expiresAt, r.lastSeenAt + SESSION_IDLE_MS)),
    user_agent: r.userAgent,
    current: r.id === current,
  }));
}

/** Ends one of the caller's own sessions and its live connections; anyone else's is not found. */
export async function deleteWebSession({ ctx, uid }: { ctx: Ctx; uid: string }) {
  const ended = await ctx.db
    .delete(webSessions)
    .where(and(eq(webSessions.id, uid), ...ownSessions(ctx)))
    .returning({ uid: webSessions.id });
  if (!ended.length) throw notFound("web session", uid);
  await endLive(ctx, [uid]);
}

function ownSessions(ctx: Ctx) {
  const personal = ctx.actor.type !== "system" && ctx.actor.personal;
  const mine = [eq(webSessions.teamId, ctx.teamId), eq(webSessions.userId, ctx.actor.id)];
  return personal ? mine : [...mine, eq(webSessions.personal, false)];
}

/**
 * Deletes sessions, sign-in links, SSO sign-ins and device logins past their end (the cron's
 * housekeeping); how many went.
 */
export async function pruneWebSessions(db: Db, now = Date.now()) {
  const idleSince = now - SESSION_IDLE_MS;
  const ended = or(lt(webSessions.expiresAt, now), lt(webSessions.lastSeenAt, idleSince));
  const results = await db.batch([
    db.delete(webSessions).where(ended),
    db.delete(signInLinks).where(lt(signInLinks.expiresAt, now)),
    db.delete(ssoLogins).where(lt(ssoLogins.expiresAt, now)),
    db.delete(deviceLogins).where(lt(deviceLogins.expiresAt, now)),
  ]);
  return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
}
