import { AppError } from "../../lib/errors.ts";
import { createAppJwt } from "./app-jwt.ts";
import type { GitHubAppCredentials } from "./credentials.ts";
import { githubClient } from "./rest.ts";

type Cached = { token: string; expiresAt: number };

/**
 * Installation tokens by integration, App and installation, in this isolate's memory. Not in KV:
 * a token is a bearer secret for the team's repositories, and KV would hold it in clear (or cost
 * a seal and an unseal per use) to save one mint per isolate per hour, well within GitHub's limits.
 */
const cache = new Map<string, Cached>();

/** Re-mint this long before `expires_at` (tokens live 1 hour), so a call never meets a stale one. */
export const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * A token for one installation of the App: the cached one while it has more than
 * `REFRESH_BEFORE_MS` left, else a new one from `POST /app/installations/{id}/access_tokens`.
 */
export async function installationToken(input: {
  integrationId: string;
  apiBaseUrl: string;
  credentials: GitHubAppCredentials;
  installationId: number;
  now: number;
}): Promise<string> {
  const { credentials: c, installationId, now } = input;
  const key = `${input.integrationId}:${c.app_id}:${installationId}:${input.apiBaseUrl}`;
  const hit = cache.get(key);
  if (hit && hit.expiresAt - now > REFRESH_BEFORE_MS) return hit.token;
  let jwt: string;
  try {
    jwt = await createAppJwt(c.app_id, c.private_key, now);
  } catch (err) {
    throw new AppError(
      "integration_not_configured",
      `The GitHub App's private key could not be used (${err instanceof Error ? err.message : err}); paste the PEM GitHub generated for the App.`,
    );
  }
  const minted = await githubClient(input.apiBaseUrl, jwt).json<{
    token: string;
    expires_at: string;
  }>("POST", `/app/installations/${installationId}/access_tokens`);
  const expiresAt = Date.parse(minted.expires_at);
  for (const [k, v] of cache) if (v.expiresAt <= now) cache.delete(k);
  cache.set(key, { token: minted.token, expiresAt: Number.isNaN(expiresAt) ? now : expiresAt });
  return minted.token;
}
