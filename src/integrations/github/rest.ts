import { AppError } from "../../lib/errors.ts";

/** Pinned until we review the breaking changes of the calendar versions (2026-03-10 and later). */
export const API_VERSION = "2022-11-28";
const USER_AGENT = "ambit-integration";

export type RequestOptions = {
  body?: unknown;
  /** a media type other than JSON, e.g. `application/vnd.github.diff` (the answer is text) */
  accept?: string;
  query?: Record<string, string | number | undefined>;
};

/** A small GitHub REST client: one base URL (github.com or GHES) and one bearer credential. */
export type GitHubClient = {
  json<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** the answer as text, cut to `max` characters: its head, or its tail for logs */
  text(
    path: string,
    options: RequestOptions & { max: number; keep: "head" | "tail" },
  ): Promise<Text>;
};
export type Text = { text: string; truncated: boolean };

/**
 * Credentials GitHub said are out of requests (`x-ratelimit-remaining: 0`), until the reset (ms),
 * in this isolate: calls before it fail at once instead of spending GitHub's patience (it may
 * ban an integration that keeps calling while limited).
 */
const exhausted = new Map<string, number>();

export function githubClient(baseUrl: string, token: string): GitHubClient {
  const limitKey = `${baseUrl} ${token}`;
  async function send(method: string, path: string, options: RequestOptions = {}) {
    const until = exhausted.get(limitKey) ?? 0;
    if (until > Date.now())
      throw new AppError(
        "rate_limited",
        `GitHub's rate limit for the integration's credentials is used up; ${method} ${path} not sent before the reset`,
        { retryable: true, retry_after_seconds: Math.ceil((until - Date.now()) / 1000) },
      );
    const url = new URL(`${baseUrl}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      accept: options.accept ?? "application/vnd.github+json",
      authorization: `Bearer ${token}`,
      "user-agent": USER_AGENT,
      "x-github-api-version": API_VERSION,
    };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const res = await fetch(url, { method, headers, body });
    const reset = Number(res.headers.get("x-ratelimit-reset"));
    if (res.headers.get("x-ratelimit-remaining") === "0" && reset > 0)
      exhausted.set(limitKey, reset * 1000);
    else exhausted.delete(limitKey);
    if (!res.ok) throw await githubError(method, path, res);
    return res;
  }
  return {
    async json<T>(method: string, path: string, options?: RequestOptions) {
      const res = await send(method, path, options);
      return (res.status === 204 ? undefined : await res.json()) as T;
    },
    async text(path, options) {
      const res = await send("GET", path, options);
      return options.keep === "head" ? readHead(res, options.max) : readTail(res, options.max);
    },
  };
}

/**
 * GitHub's error as an AppError naming the call, the status and GitHub's own message. A rate
 * limit (`403`/`429` with `retry-after` or `x-ratelimit-remaining: 0`) is `rate_limited` with the
 * wait in `retry_after_seconds`, so the queue consumer can retry the delivery after it.
 */
export async function githubError(method: string, path: string, res: Response) {
  const raw = await res.text().catch(() => "");
  let message = raw.slice(0, 300);
  try {
    message = (JSON.parse(raw) as { message?: string }).message ?? message;
  } catch {}
  const what = `GitHub answered ${res.status} to ${method} ${path}: ${message || res.statusText}`;
  const details = { github_status: res.status };
  const wait = retryAfter(res);
  if ((res.status === 403 || res.status === 429) && wait !== null)
    return new AppError("rate_limited", `${what}; retry after ${wait} s`, {
      ...details,
      retryable: true,
      retry_after_seconds: wait,
    });
  if (res.status === 401)
    return new AppError(
      "external_authentication_required",
      `${what}. Check the integration's credentials (token, App id, private key).`,
      details,
    );
  if (res.status === 403 || res.status === 404)
    return new AppError(
      "not_authorized",
      `${what}. Check that the App is installed on the repository (or the token can see it) with the permissions in docs/integrations.md.`,
      details,
    );
  if (res.status >= 500)
    return new AppError("resource_unavailable", what, { ...details, retryable: true });
  return new AppError("invalid_request", what, details);
}

/** Seconds to wait before the next call, from `retry-after` or the primary limit's reset. */
function retryAfter(res: Response): number | null {
  const after = Number(res.headers.get("retry-after"));
  if (after > 0) return after;
  if (res.headers.get("x-ratelimit-remaining") !== "0") return null;
  const reset = Number(res.headers.get("x-ratelimit-reset"));
  return reset > 0 ? Math.max(1, Math.ceil(reset - Date.now() / 1000)) : 60;
}

async function readHead(res: Response, max: number): Promise<Text> {
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (reader && text.length <= max) {
    const { done, value } = await reader.read();
    if (done) return { text, truncated: false };
    text += value;
  }
  await reader?.cancel();
  return { text: text.slice(0, max), truncated: text.length > max };
}

/** The last `max` characters, read as a stream so a large log never sits whole in memory. */
async function readTail(res: Response, max: number): Promise<Text> {
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let dropped = false;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
    if (text.length > 2 * max) {
      text = text.slice(-max);
      dropped = true;
    }
  }
  const truncated = dropped || text.length > max;
  return { text: text.slice(-max), truncated };
}
