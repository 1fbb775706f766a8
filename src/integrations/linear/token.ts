import { and, eq } from "drizzle-orm";
import { createDb } from "../../db/client.ts";
import { integrations } from "../../db/schema.ts";
import { getConfig } from "../../env.ts";
import { AppError } from "../../lib/errors.ts";
import { log } from "../../lib/log.ts";
import {
  credentialFieldsOf,
  openCredentials,
  sealCredentials,
} from "../../services/integrations/credentials.ts";
import { VendorRetryError } from "../vendor-retry.ts";
import { type LinearAuth, LinearCredentials } from "./credentials.ts";

/** A token this close to its end (ms) is refreshed before use rather than refused mid-report. */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/** What Linear's token endpoint answers (authorization code or refresh grant). */
export type LinearTokenAnswer = {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  error?: string;
};

/** The credential fields a token answer sets: the token, its refresh token, when it ends (ms). */
export function tokenFields(got: LinearTokenAnswer, now: number) {
  return {
    access_token: got.access_token!,
    ...(got.refresh_token ? { refresh_token: got.refresh_token } : {}),
    ...(typeof got.expires_in === "number" && got.expires_in > 0
      ? { expires_at: now + got.expires_in * 1000 }
      : {}),
  };
}

/** Whether an OAuth token is past (or within `REFRESH_MARGIN_MS` of) its end. */
export const tokenDue = (c: LinearAuth, now: number) =>
  "expires_at" in c && typeof c.expires_at === "number" && c.expires_at - REFRESH_MARGIN_MS <= now;

/** Whether these credentials can be refreshed (an OAuth install with a refresh token). */
export const refreshable = (c: LinearAuth) =>
  "refresh_token" in c && !!c.refresh_token && !!c.client_id && !!c.client_secret;

/**
 * Refreshes an OAuth install's access token (integrations reference §4.5: `grant_type=
 * refresh_token` at `<LINEAR_API_URL>/oauth/token`, the client's id and secret as form fields) and
 * stores the new token, refresh token (Linear rotates it) and end sealed again. Reads the stored
 * credentials first: another report may have refreshed them already (then they are used as they
 * are); the write is conditional on what was read, so of two refreshes at once one is kept and the
 * other reads it. Answers the credentials to use now. Linear refusing the refresh token means the
 * install is gone (`integration_not_configured`: install the app again); no answer, `VendorRetryError`.
 */
export async function refreshLinearToken(input: {
  env: Env;
  integration: { id: string; teamId: string };
  /** the token that was refused or is due */
  used: string;
  fetch?: typeof fetch;
  now?: number;
}): Promise<LinearAuth> {
  const { env, integration } = input;
  const now = input.now ?? Date.now();
  const db = createDb(env.DB);
  const read = async () => {
    const [row] = await db
      .select({
        id: integrations.id,
        teamId: integrations.teamId,
        credentialsSealed: integrations.credentialsSealed,
      })
      .from(integrations)
      .where(and(eq(integrations.id, integration.id), eq(integrations.teamId, integration.teamId)))
      .limit(1);
    if (!row) throw new AppError("resource_not_found", "the Linear integration is gone");
    return { row, credentials: LinearCredentials.parse(await openCredentials(env, row)) };
  };
  const stored = await read();
  const c = stored.credentials;
  if (!("access_token" in c) || !refreshable(c))
    throw new AppError(
      "integration_not_configured",
      "Linear refused the integration's token and it has no refresh token; install the app again (POST /api/v1/integrations/{uid}/install-link)",
    );
  // refreshed meanwhile by another report: use that
  if (c.access_token !== input.used && !tokenDue(c, now)) return c;
  const res = await (input.fetch ?? fetch)(`${getConfig(env).LINEAR_API_URL}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "refresh_token",
      refresh_token: c.refresh_token!,
      client_id: c.client_id!,
      client_secret: c.client_secret!,
    }),
    signal: AbortSignal.timeout(10_000),
  }).catch((err) => {
    throw new VendorRetryError(60, `Linear did not answer the token refresh: ${String(err)}`);
  });
  if (res.status === 429 || res.status >= 500)
    throw new VendorRetryError(60, `Linear answered the token refresh with ${res.status}`);
  const got = (await res.json().catch(() => null)) as LinearTokenAnswer | null;
  if (!res.ok || !got?.access_token) {
    // a refresh token used by another report at the same moment: its result is stored
    const again = await read();
    if ("access_token" in again.credentials && again.credentials.access_token !== c.access_token)
      return again.credentials;
    log.warn("linear: the token refresh was refused", {
      integration_id: integration.id,
      status: res.status,
      error: got?.error,
    });
    throw new AppError(
      "integration_not_configured",
      `Linear refused to refresh the integration's token (HTTP ${res.status}${got?.error ? `: ${got.error}` : ""}); install the app again (POST /api/v1/integrations/{uid}/install-link)`,
    );
  }
  const next = { ...c, ...tokenFields(got, now) };
  const at = { teamId: integration.teamId, integrationId: integration.id };
  const sealed = await sealCredentials(env, at, next);
  const kept = await db
    .update(integrations)
    .set({ credentialsSealed: sealed, credentialFields: credentialFieldsOf(next), updatedAt: now })
    .where(
      and(
        eq(integrations.id, integration.id),
        eq(integrations.credentialsSealed, stored.row.credentialsSealed),
      ),
    )
    .returning({ id: integrations.id });
  if (kept.length) return next;
  // another refresh was stored first: its token is the one the next reader finds
  return (await read()).credentials;
}
