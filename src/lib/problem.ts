import type { ZodError } from "zod";
import { AppError, ERROR_CATALOG, type FieldError } from "./errors.ts";

/** An RFC 7807 `application/problem+json` response for `err`. */
export function problemResponse(
  err: AppError,
  opts: { instance: string; traceId: string; origin: string },
): Response {
  const entry = ERROR_CATALOG[err.code];
  const retryable = err.details?.retryable ?? entry.retryable;
  const { retryable: _r, headers, ...extensions } = err.details ?? {};
  const body = {
    type: `${opts.origin}/docs#error-${err.code}`,
    title: entry.title,
    status: entry.status,
    detail: err.message,
    instance: opts.instance,
    error: `${entry.title} (${err.message})`,
    error_code: err.code,
    retryable,
    trace_id: opts.traceId,
    ...extensions,
  };
  return new Response(JSON.stringify(body), {
    status: entry.status,
    headers: {
      "content-type": "application/problem+json",
      // generated SDKs retry 409/429/5xx by default; say so explicitly either way
      "x-should-retry": String(retryable),
      "x-request-id": opts.traceId,
      // what a limit says the HTTP way (Retry-After, RateLimit): details.headers, never in the body
      ...headers,
    },
  });
}

/** A zod failure as `invalid_request`, naming every field and what is wrong with it. */
export function validationError(error: ZodError, target?: string): AppError {
  const errors: FieldError[] = error.issues.map((i) => ({
    path:
      [...(target && target !== "json" ? [target] : []), ...i.path.map(String)].join(".") ||
      (target ?? "body"),
    message: i.message,
  }));
  const summary = errors
    .slice(0, 5)
    .map((e) => `${e.path}: ${e.message}`)
    .join("; ");
  return new AppError(
    "invalid_request",
    `The request is not valid: ${summary}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ""}`,
    {
      errors,
    },
  );
}

/** A request path as errors and logs may show it: a sign-in link's token is a credential. */
export const redactedPath = (path: string) =>
  path.replace(/^(\/auth\/link\/)[^/]*/, "$1[redacted]");
