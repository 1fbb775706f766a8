import { eq } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { memberships, ssoLogins } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import { sha256Hex } from "../../lib/hash.ts";
import { ensureUser } from "../users.ts";
import { type NewSession, signInWithSso } from "../web-sessions.ts";
import { readSso, ssoClient, ssoUrls } from "./config.ts";
import { authorizationRequest, exchangeCode } from "./provider.ts";

// Signing in to the console through the team's single sign-on: the start stores the state, nonce
// and PKCE verifier server-side (keyed by the state's hash, ten minutes, deleted by the callback
// that reads them) and the browser holds the state in a cookie, so the callback must come back to
// the browser that started it, once.

const LOGIN_TTL_MS = 10 * 60_000;

/** Why a sign-in was refused, as the sign-in page explains it (`/sign-in?error=sso&reason=`). */
export type SsoRefusal =
  | "not_configured"
  | "state_mismatch"
  | "expired"
  | "provider_error"
  | "email_not_verified"
  | "domain_not_allowed";

const refuse = (reason: SsoRefusal, message: string) =>
  new AppError("authentication_required", message, { sso_refusal: reason });

/** The refusal reason an error carries, if it is a refused single sign-on. */
export const refusalOf = (err: unknown): SsoRefusal | undefined =>
  err instanceof AppError ? (err.details?.sso_refusal as SsoRefusal | undefined) : undefined;

/** Begins a sign-in for `teamId`: the provider URL to redirect to, and the state for the cookie. */
export async function startSsoSignIn(input: {
  db: Db;
  env: Env;
  teamId: string;
  next: string;
  baseUrl: string;
}) {
  const { db, teamId } = input;
  const row = await readSso(db, teamId);
  if (!row) {
    throw refuse("not_configured", `team '${teamId}' has no single sign-on configured`);
  }
  const client = await ssoClient(input.env, row);
  const req = await authorizationRequest(client, ssoUrls(input.baseUrl, teamId).redirect_uri);
  const now = Date.now();
  await db.insert(ssoLogins).values({
    stateHash: await sha256Hex(req.state),
    teamId,
    nonce: req.nonce,
    codeVerifier: req.codeVerifier,
    next: input.next,
    createdAt: now,
    expiresAt: now + LOGIN_TTL_MS,
  });
  return { url: req.url, state: req.state, maxAgeSeconds: LOGIN_TTL_MS / 1000 };
}

/**
 * Completes a sign-in from the provider's callback: the stored login (consumed now), the code
 * exchanged and the ID token checked, then the person matched to a member by verified email, or
 * made one (the configured role) when their domain is allowed.
 */
export async function finishSsoSignIn(input: {
  db: Db;
  env: Env;
  callback: URL;
  /** the state cookie the browser sent */
  browserState: string | undefined;
  baseUrl: string;
  userAgent?: string;
}): Promise<{ session: NewSession; next: string }> {
  const { db, callback } = input;
  const state = callback.searchParams.get("state");
  if (!state || state !== input.browserState) {
    throw refuse(
      "state_mismatch",
      "this sign-in's answer does not belong to a sign-in this browser started",
    );
  }
  const [login] = await db
    .delete(ssoLogins)
    .where(eq(ssoLogins.stateHash, await sha256Hex(state)))
    .returning();
  if (!login || login.expiresAt <= Date.now()) {
    throw refuse("expired", "this sign-in was already used or took over ten minutes");
  }
  const row = await readSso(db, login.teamId);
  if (!row) throw refuse("not_configured", "the team's single sign-on was removed meanwhile");
  const client = await ssoClient(input.env, row);
  const redirectUri = ssoUrls(input.baseUrl, login.teamId).redirect_uri;
  const expected = { ...login, state };
  const who = await exchangeCode(client, callback, redirectUri, expected).catch((err: unknown) => {
    throw refuse("provider_error", err instanceof Error ? err.message : String(err));
  });
  if (!who.email || !who.emailVerified) {
    throw refuse("email_not_verified", "the provider did not vouch for an email address");
  }
  const domain = who.email.split("@").pop()!;
  if (!row.allowedDomains.includes(domain)) {
    throw refuse("domain_not_allowed", `people of ${domain} may not sign in to this team`);
  }
  const userId = await memberFor(db, login.teamId, who, row.defaultRole);
  const session = await signInWithSso({
    db,
    teamId: login.teamId,
    userId,
    userAgent: input.userAgent,
  });
  return { session, next: login.next };
}

/** The member with this verified email, or a new one with `role` (their first sign-in). */
async function memberFor(
  db: Db,
  teamId: string,
  who: { email: string; name: string | null },
  role: "admin" | "member" | "viewer",
): Promise<string> {
  const now = Date.now();
  const user = await ensureUser(db, { email: who.email, display_name: who.name ?? undefined }, now);
  // insert-or-nothing: an existing member keeps the role they have
  await db
    .insert(memberships)
    .values({ teamId, userId: user.id, role, createdAt: now })
    .onConflictDoNothing();
  return user.id;
}
