import { APIPromise } from "./api-promise.ts";
import {
  AmbitError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "./errors.ts";
import { retryDelayMs, shouldRetry, sleep } from "./retry.ts";

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export type ClientOptions = {
  /** Bearer API key; defaults to the `AMBIT_API_KEY` environment variable. `null`: no key (only signup works). */
  apiKey?: string | null;
  /** The platform's address, e.g. `http://localhost:8787` (a value ending in `/api/v1` works too); defaults to `AMBIT_BASE_URL`, then `http://localhost:8787`. */
  baseURL?: string;
  /** Milliseconds before one attempt of a request is abandoned (and retried). Default 60 000. */
  timeout?: number;
  /** Retries after the first attempt for connection errors and retryable answers. Default 2. */
  maxRetries?: number;
  /** Sent with every request. */
  defaultHeaders?: Record<string, string>;
  /** A `fetch` to use instead of the global one. */
  fetch?: Fetch;
};

export type QueryValue =
  | string
  | number
  | boolean
  | undefined
  | null
  | ReadonlyArray<string | number | boolean>
  | Record<string, string>;

/** Per-request overrides. */
export type RequestOptions = {
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  timeout?: number;
  maxRetries?: number;
  signal?: AbortSignal;
  /** For POST: the key to send (one is generated otherwise); it is the same on every retry. */
  idempotencyKey?: string;
};

const DEFAULT_BASE_URL = "http://localhost:8787";
const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name] ||
  undefined;

/** `http://host:8787`, `http://host:8787/`, `http://host:8787/api/v1` → `http://host:8787/api/v1`. */
export function apiBaseOf(baseURL: string): string {
  const trimmed = baseURL.replace(/\/+$/, "");
  return trimmed.endsWith("/api/v1") ? trimmed : `${trimmed}/api/v1`;
}

/**
 * The transport every resource shares: auth, JSON, retries with backoff, timeouts, idempotency
 * keys, error classes. Resources call `get`/`post`/`patch`/`delete` with a path under `/api/v1`.
 */
export class AmbitCore {
  readonly apiKey: string | null;
  /** Ends in `/api/v1`. */
  readonly baseURL: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly defaultHeaders: Record<string, string>;
  readonly fetch: Fetch;

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey === null ? null : (options.apiKey ?? env("AMBIT_API_KEY"));
    if (apiKey === undefined || apiKey === "")
      throw new AmbitError(
        "no API key: pass { apiKey } or set AMBIT_API_KEY (create one with `ambit api-key create` or POST /api/v1/api-keys)",
      );
    this.apiKey = apiKey;
    this.baseURL = apiBaseOf(options.baseURL ?? env("AMBIT_BASE_URL") ?? DEFAULT_BASE_URL);
    this.timeout = options.timeout ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    this.defaultHeaders = options.defaultHeaders ?? {};
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  get<T>(path: string, opts?: RequestOptions) {
    return this.request<T>("GET", path, opts);
  }
  post<T>(path: string, opts?: RequestOptions) {
    return this.request<T>("POST", path, opts);
  }
  patch<T>(path: string, opts?: RequestOptions) {
    return this.request<T>("PATCH", path, opts);
  }
  put<T>(path: string, opts?: RequestOptions) {
    return this.request<T>("PUT", path, opts);
  }
  delete<T>(path: string, opts?: RequestOptions) {
    return this.request<T>("DELETE", path, opts);
  }

  /** Any request under `/api/v1`; resolves to the parsed JSON body (undefined for 204). */
  request<T>(method: string, path: string, opts: RequestOptions = {}): APIPromise<T> {
    return new APIPromise<T>(
      this.send(method, path, opts),
      parseBody as (r: Response) => Promise<T>,
    );
  }

  /** The full URL of `path` with `query`. */
  buildURL(path: string, query?: Record<string, QueryValue>): string {
    const url = new URL(this.baseURL + (path.startsWith("/") ? path : `/${path}`));
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
      else if (typeof value === "object")
        for (const [k, v] of Object.entries(value as Record<string, string>))
          url.searchParams.append(`${key}[${k}]`, v);
      else url.searchParams.append(key, String(value));
    }
    return url.toString();
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const url = this.buildURL(path, opts.query);
    const maxRetries = opts.maxRetries ?? this.maxRetries;
    const timeout = opts.timeout ?? this.timeout;
    const headers: Record<string, string> = {
      accept: "application/json",
      ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      ...this.defaultHeaders,
    };
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    if (method === "POST")
      headers["idempotency-key"] = opts.idempotencyKey ?? `ambit-sdk-${crypto.randomUUID()}`;
    Object.assign(headers, opts.headers);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);

    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.attempt(
          url,
          { method, headers: { ...headers, "x-ambit-retry-count": String(attempt) }, body },
          timeout,
          opts.signal,
        );
      } catch (err) {
        if (err instanceof APIUserAbortError || attempt >= maxRetries) throw err;
        await sleep(retryDelayMs(attempt + 1), opts.signal).catch(() => {
          throw new APIUserAbortError("request aborted");
        });
        continue;
      }
      if (response.ok) return response;
      if (attempt < maxRetries && shouldRetry(response)) {
        await response.body?.cancel().catch(() => {});
        await sleep(retryDelayMs(attempt + 1, response.headers), opts.signal).catch(() => {
          throw new APIUserAbortError("request aborted");
        });
        continue;
      }
      throw APIError.generate(response.status, await readError(response), response.headers);
    }
  }

  /** One fetch with its own timeout; transport failures become APIConnection(Timeout)Error. */
  private async attempt(
    url: string,
    init: RequestInit,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Response> {
    if (signal?.aborted) throw new APIUserAbortError("request aborted");
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // the caller's signal stays linked after the headers arrive: it also ends a streamed body
      return await this.fetch(url, { ...init, signal: controller.signal });
    } catch (err) {
      signal?.removeEventListener("abort", onAbort);
      if (timedOut)
        throw new APIConnectionTimeoutError(
          `no answer from ${new URL(url).origin} within ${timeoutMs} ms`,
          { cause: err },
        );
      if (signal?.aborted) throw new APIUserAbortError("request aborted");
      throw new APIConnectionError(`could not reach ${new URL(url).origin}: ${causeText(err)}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

async function parseBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  return /^application\/([\w.-]+\+)?json\b/.test(response.headers.get("content-type") ?? "")
    ? JSON.parse(text)
    : text;
}

async function readError(response: Response) {
  const text = await response.text().catch(() => "");
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}
