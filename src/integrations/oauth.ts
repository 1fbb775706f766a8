import { jwtVerify, SignJWT } from "jose";
import { jwtKey } from "../lib/jwt-key.ts";

// A generic OAuth install for integration kinds (Slack's OAuth v2, Linear's `actor=app` agent
// app): a kind describes its authorize URL, scopes and code exchange (`OAuthDescriptor`), the
// framework signs the `state` (bound to team, integration and the admin who asked; 10 minutes;
// single use by its `jti`) and stores what the exchange returns in the integration's sealed
// credentials (src/services/integrations/install.ts).

/** What a kind tells the framework about its OAuth install. */
export type OAuthDescriptor = {
  /** where the installer is sent (query: client_id, scope, redirect_uri, state + `params`) */
  authorizeUrl: (env: Env) => string;
  scopes: string[];
  /** how the kind's scopes are joined (Slack: ","; Linear: ",") */
  scopeSeparator?: string;
  /** more query parameters of the authorize URL (Linear: `actor=app`) */
  params?: Record<string, string>;
  /** the credential fields that hold the client id and secret */
  client: (credentials: Record<string, unknown>) => { id?: string; secret?: string };
  /**
   * Trades the callback's `code` for what the integration keeps: credential fields (sealed, e.g.
   * the bot token) and settings fields (e.g. the bot's user id) merged over the stored ones.
   */
  exchange: (input: {
    env: Env;
    code: string;
    redirectUri: string;
    client: { id: string; secret: string };
    /** how the vendor is reached (tests pass a fake's); absent: the global `fetch` */
    fetch?: typeof fetch;
  }) => Promise<{
    credentials: Record<string, string | number>;
    settings?: Record<string, unknown>;
  }>;
};

const AUDIENCE = "ambit:integration-install";
/** How long an install link works. */
export const INSTALL_STATE_TTL_S = 600;

export type InstallState = { teamId: string; integrationId: string; adminId: string; jti: string };

export async function signInstallState(secret: string, s: Omit<InstallState, "jti">) {
  const jti = crypto.randomUUID();
  return new SignJWT({ team: s.teamId, integration: s.integrationId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(s.adminId)
    .setAudience(AUDIENCE)
    .setJti(jti)
    .setExpirationTime(Math.floor(Date.now() / 1000) + INSTALL_STATE_TTL_S)
    .sign(await jwtKey(secret));
}

/** The state's claims, or null when it is forged, expired or for something else. */
export async function verifyInstallState(
  secret: string,
  token: string,
): Promise<InstallState | null> {
  try {
    const { payload } = await jwtVerify(token, await jwtKey(secret), {
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    const { team, integration, sub, jti } = payload as Record<string, unknown>;
    if (typeof team !== "string" || typeof integration !== "string") return null;
    if (typeof sub !== "string" || typeof jti !== "string") return null;
    return { teamId: team, integrationId: integration, adminId: sub, jti };
  } catch {
    return null;
  }
}
