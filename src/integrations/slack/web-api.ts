import { VendorRetryError } from "../vendor-retry.ts";

/** Slack answered `{ok: false, error}`: a refusal (a missing scope, a channel the bot is not in). */
export class SlackApiError extends Error {
  constructor(
    readonly method: string,
    readonly error: string,
  ) {
    super(`Slack's ${method} answered '${error}'`);
  }
}

export type SlackClient = {
  call<T = Record<string, unknown>>(method: string, args: Record<string, unknown>): Promise<T>;
};

/** Waits asked for by a 5xx without Retry-After. */
const OUTAGE_RETRY_SECONDS = 30;

/**
 * Slack's Web API under `base` (the operator's `SLACK_API_URL`) with a bot token: every method
 * POSTed form-encoded (objects as JSON fields), so read and write methods alike accept it. A
 * 429 or a 5xx throws `VendorRetryError` (the report is retried after `Retry-After`); `ok: false`
 * throws `SlackApiError`.
 */
export function slackClient(
  base: string,
  token: string,
  fetcher: typeof fetch = fetch,
): SlackClient {
  return {
    async call<T>(method: string, args: Record<string, unknown>): Promise<T> {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(args))
        if (v !== undefined) form.set(k, typeof v === "string" ? v : JSON.stringify(v));
      const res = await fetcher(`${base}/${method}`, {
        method: "POST",
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          "content-type": "application/x-www-form-urlencoded",
        },
        body: form,
      });
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel();
        const after = Number(res.headers.get("retry-after"));
        const wait = Number.isFinite(after) && after > 0 ? after : OUTAGE_RETRY_SECONDS;
        throw new VendorRetryError(wait, `Slack's ${method} answered ${res.status}`);
      }
      const json = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string };
      if (!json.ok) throw new SlackApiError(method, json.error ?? `http_${res.status}`);
      return json as T;
    },
  };
}
