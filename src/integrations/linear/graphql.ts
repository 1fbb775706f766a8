import { AppError } from "../../lib/errors.ts";
import { VendorRetryError } from "../vendor-retry.ts";
import { authorizationOf, type LinearAuth } from "./credentials.ts";
import { tokenDue } from "./token.ts";

/** Wait when Linear says to wait but not for how long (seconds). */
const DEFAULT_RETRY_S = 60;
/** A vendor that does not answer in this long is down, for our purpose. */
const TIMEOUT_MS = 10_000;

export type LinearClient = {
  /** One GraphQL operation; `data` on success, else throws (see `linearClient`). */
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
};

type GraphQLError = { message?: string; extensions?: { code?: string; type?: string } };

/**
 * The GraphQL client acting as the integration (`POST <apiUrl>/graphql`). Linear answers errors as
 * HTTP 200 with `errors[]`, so both are checked. Throws `VendorRetryError` when Linear asks us to
 * wait (429 `Retry-After`, `RATELIMITED`) or is down (5xx, no answer): the caller tries later and
 * the run is never held up; `AppError` when it refuses the credentials or the request. With
 * `refresh` (an OAuth install with a refresh token), a token near its end is refreshed before the
 * call and a refused one once after it, and the call made again.
 */
export function linearClient(input: {
  apiUrl: string;
  /** an API key (sent bare) or an OAuth access token (as a bearer) */
  credentials: LinearAuth;
  fetch?: typeof fetch;
  now?: () => number;
  /** new credentials for a token that is due or was refused (token.ts) */
  refresh?: (used: string) => Promise<LinearAuth>;
}): LinearClient {
  const doFetch = input.fetch ?? fetch;
  const now = input.now ?? Date.now;
  const url = `${input.apiUrl.replace(/\/+$/, "")}/graphql`;
  let credentials = input.credentials;
  const refresh = async () => {
    if (!input.refresh || !("access_token" in credentials)) return false;
    credentials = await input.refresh(credentials.access_token);
    return true;
  };
  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      if (tokenDue(credentials, now())) await refresh();
      try {
        return await call<T>(query, variables);
      } catch (err) {
        if (!(err instanceof RefusedCredentials) || !(await refresh())) throw err;
        return call<T>(query, variables);
      }
    },
  };

  async function call<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    let res: Response;
    try {
      res = await doFetch(url, {
        method: "POST",
        headers: {
          authorization: authorizationOf(credentials),
          "content-type": "application/json",
          "user-agent": "ambit-linear-integration",
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new VendorRetryError(DEFAULT_RETRY_S, `Linear did not answer: ${String(err)}`);
    }
    if (res.status === 429)
      throw new VendorRetryError(retryAfter(res, now()), "Linear rate-limited the request (429)");
    if (res.status >= 500)
      throw new VendorRetryError(DEFAULT_RETRY_S, `Linear answered ${res.status}`);
    const body = (await res.json().catch(() => null)) as {
      data?: T;
      errors?: GraphQLError[];
    } | null;
    const errors = body?.errors ?? [];
    if (errors.some((e) => e.extensions?.code === "RATELIMITED"))
      throw new VendorRetryError(retryAfter(res, now()), "Linear rate-limited the request");
    if (res.status === 401 || res.status === 403 || errors.some(isAuthError))
      throw new RefusedCredentials();
    if (!res.ok || errors.length || !body?.data)
      throw new AppError(
        "invalid_request",
        `Linear refused the request (HTTP ${res.status}): ${errors.map((e) => e.message).join("; ") || "no data"}`,
      );
    return body.data;
  }
}

/** Linear refused the credentials (a refresh may help once). */
class RefusedCredentials extends AppError {
  constructor() {
    super(
      "integration_not_configured",
      "Linear refused the integration's credentials; save a valid api_key or access_token (PATCH /api/v1/integrations/{uid}), or install the app again",
    );
  }
}

const isAuthError = (e: GraphQLError) =>
  e.extensions?.code === "AUTHENTICATION_ERROR" || e.extensions?.type === "authentication error";

/** Seconds until Linear takes requests again: `Retry-After`, else the bucket's reset (epoch ms). */
function retryAfter(res: Response, nowMs: number): number {
  const header = Number(res.headers.get("retry-after"));
  if (Number.isFinite(header) && header > 0) return Math.ceil(header);
  const reset = Number(
    res.headers.get("x-ratelimit-requests-reset") ??
      res.headers.get("x-ratelimit-complexity-reset"),
  );
  if (Number.isFinite(reset) && reset > nowMs) return Math.ceil((reset - nowMs) / 1000);
  return DEFAULT_RETRY_S;
}
