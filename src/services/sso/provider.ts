import { createRemoteJWKSet, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { AppError } from "../../lib/errors.ts";

// The protocol side of single sign-on, all through oauth4webapi (no hand-written OAuth):
// discovery, the authorization request (code + PKCE S256, state, nonce), the code exchange,
// UserInfo, and the ID token, whose signature is checked once more against the issuer's JWKS
// with jose.

/** What a provider said about the person: their email, only when the provider verified it. */
export type SsoIdentity = { email: string; emailVerified: boolean; name: string | null };

export type SsoClient = {
  provider: "oidc" | "github";
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** plain-http issuers allowed (`SSO_ALLOW_HTTP`) */
  allowHttp: boolean;
};

export const GITHUB_ISSUER = "https://github.com";

/** GitHub's OAuth endpoints on github.com, or on a GitHub Enterprise Server at `issuer`. */
const github = (issuer: string): oauth.AuthorizationServer => ({
  issuer,
  authorization_endpoint: `${issuer}/login/oauth/authorize`,
  token_endpoint: `${issuer}/login/oauth/access_token`,
});
const githubEmails = (issuer: string) =>
  issuer === GITHUB_ISSUER ? "https://api.github.com/user/emails" : `${issuer}/api/v3/user/emails`;

const http = (c: Pick<SsoClient, "allowHttp">) => ({ [oauth.allowInsecureRequests]: c.allowHttp });

const providerError = (issuer: string, what: string, err: unknown) =>
  new AppError(
    "integration_not_configured",
    `single sign-on could not ${what} at ${issuer}: ${err instanceof Error ? err.message : err}. ` +
      "A team admin checks the issuer, client id and secret (`ambit sso get`).",
  );

/** The provider's metadata: GitHub's fixed endpoints, or the issuer's discovery document. */
export async function discover(c: Pick<SsoClient, "provider" | "issuer" | "allowHttp">) {
  if (c.provider === "github") return github(c.issuer.replace(/\/+$/, ""));
  const issuer = new URL(c.issuer);
  try {
    const res = await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...http(c) });
    return await oauth.processDiscoveryResponse(issuer, res);
  } catch (err) {
    throw providerError(c.issuer, "read /.well-known/openid-configuration", err);
  }
}

/** A fresh state, nonce and PKCE verifier, and the provider's authorization URL carrying them. */
export async function authorizationRequest(c: SsoClient, redirectUri: string) {
  const as = await discover(c);
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint!);
  const params = {
    client_id: c.clientId,
    redirect_uri: redirectUri,
    response_type: "code",
    scope: c.provider === "github" ? "read:user user:email" : "openid email profile",
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    ...(c.provider === "oidc" ? { nonce } : {}),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url: url.toString(), state, nonce, codeVerifier };
}

/**
 * The callback's code exchanged for who signed in. `expected` is what the sign-in stored: the
 * state (checked by oauth4webapi against the callback's), the nonce (against the ID token's) and
 * the PKCE verifier (the provider checks it against the challenge it saw).
 */
export async function exchangeCode(
  c: SsoClient,
  callback: URL,
  redirectUri: string,
  expected: { state: string; nonce: string; codeVerifier: string },
): Promise<SsoIdentity> {
  const as = await discover(c);
  const client: oauth.Client = { client_id: c.clientId };
  const basic = as.token_endpoint_auth_methods_supported?.includes("client_secret_basic");
  const auth = basic
    ? oauth.ClientSecretBasic(c.clientSecret)
    : oauth.ClientSecretPost(c.clientSecret);
  let params: URLSearchParams;
  try {
    params = oauth.validateAuthResponse(as, client, callback, expected.state);
  } catch (err) {
    throw refused(`the provider's answer is not valid (${(err as Error).message})`);
  }
  try {
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      redirectUri,
      expected.codeVerifier,
      http(c),
    );
    if (c.provider === "github") {
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
      return await githubIdentity(as.issuer, tokens.access_token);
    }
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, {
      expectedNonce: expected.nonce,
      requireIdToken: true,
    });
    const who = await verifiedIdentity(as, c, tokens.id_token!);
    // claims asked for by scope may come only from UserInfo (OpenID Connect Core 5.4)
    if (who.email || !as.userinfo_endpoint) return who;
    return await userInfoIdentity(as, c, tokens.access_token, who.subject);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw refused(`the code exchange failed (${(err as Error).message})`);
  }
}

/** The ID token's signature and claims checked with jose against the issuer's published keys. */
async function verifiedIdentity(as: oauth.AuthorizationServer, c: SsoClient, idToken: string) {
  if (!as.jwks_uri) throw refused("the issuer publishes no jwks_uri to check the ID token with");
  const jwks = createRemoteJWKSet(new URL(as.jwks_uri));
  const { payload } = await jwtVerify(idToken, jwks, { issuer: as.issuer, audience: c.clientId });
  return { ...identityOf(payload), subject: payload.sub! };
}

/** The person's claims from the UserInfo endpoint, for the ID token's subject only. */
async function userInfoIdentity(
  as: oauth.AuthorizationServer,
  c: SsoClient,
  accessToken: string,
  subject: string,
): Promise<SsoIdentity> {
  const client: oauth.Client = { client_id: c.clientId };
  const res = await oauth.userInfoRequest(as, client, accessToken, http(c));
  return identityOf(await oauth.processUserInfoResponse(as, client, subject, res));
}

const identityOf = (claims: Record<string, unknown>): SsoIdentity => ({
  email: typeof claims.email === "string" ? claims.email.toLowerCase() : "",
  emailVerified: claims.email_verified === true,
  name: typeof claims.name === "string" ? claims.name : null,
});

/** GitHub is OAuth, not OpenID Connect: the person's primary email, if GitHub verified it. */
async function githubIdentity(issuer: string, accessToken: string): Promise<SsoIdentity> {
  const res = await fetch(githubEmails(issuer), {
    headers: {
      authorization: `Bearer ${accessToken}`,
      accept: "application/vnd.github+json",
      "user-agent": "ambit-sso",
    },
  });
  if (!res.ok) throw refused(`GitHub did not list the account's emails (HTTP ${res.status})`);
  const emails = (await res.json()) as { email: string; primary: boolean; verified: boolean }[];
  const primary = emails.find((e) => e.primary);
  return {
    email: primary?.email.toLowerCase() ?? "",
    emailVerified: primary?.verified === true,
    name: null,
  };
}

export const refused = (why: string) =>
  new AppError("authentication_required", `single sign-on was refused: ${why}. Sign in again.`);
