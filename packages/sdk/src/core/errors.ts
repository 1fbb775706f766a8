import type { Problem } from "@ambit/protocol";

/** Root of every error the SDK throws. */
export class AmbitError extends Error {
  override name = "AmbitError";
}

/**
 * The API answered with a non-2xx status. The RFC 7807 fields of the body are exposed as
 * properties (`error_code`, `detail`, `trace_id`, `errors`, …); `error` is the whole parsed body.
 */
export class APIError<TStatus extends number = number> extends AmbitError {
  override name = "APIError";
  readonly status: TStatus;
  readonly headers: Headers;
  /** The parsed body (an RFC 7807 problem for Ambit), or the raw text when it is not JSON. */
  readonly error: Partial<Problem> | string | undefined;
  readonly error_code: string | undefined;
  readonly title: string | undefined;
  readonly detail: string | undefined;
  readonly type: string | undefined;
  readonly instance: string | undefined;
  readonly retryable: boolean | undefined;
  readonly trace_id: string | undefined;
  /** For `invalid_request`: every field that failed validation. */
  readonly errors: Array<{ path: string; message: string }> | undefined;

  constructor(status: TStatus, body: Partial<Problem> | string | undefined, headers: Headers) {
    super(messageOf(status, body));
    this.status = status;
    this.headers = headers;
    this.error = body;
    const p = typeof body === "object" && body ? body : {};
    this.error_code = p.error_code;
    this.title = p.title;
    this.detail = p.detail;
    this.type = p.type;
    this.instance = p.instance;
    this.retryable = p.retryable;
    this.trace_id = p.trace_id ?? headers.get("x-request-id") ?? undefined;
    this.errors = p.errors;
  }

  /** The error class for a status. */
  static generate(
    status: number,
    body: Partial<Problem> | string | undefined,
    headers: Headers,
  ): APIError {
    const cls = STATUS_CLASSES[status] ?? (status >= 500 ? InternalServerError : APIError);
    return new cls(status, body, headers);
  }
}

function messageOf(status: number, body: Partial<Problem> | string | undefined): string {
  if (typeof body === "object" && body) {
    const fields = body.errors?.length
      ? ` [${body.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}]`
      : "";
    const text = body.detail ?? body.title ?? body.error ?? JSON.stringify(body);
    return `${status} ${body.error_code ?? "error"}: ${text}${fields}`;
  }
  return `${status} ${body ? body.slice(0, 500) : "(no body)"}`;
}

export class BadRequestError extends APIError<400> {
  override name = "BadRequestError";
}
export class AuthenticationError extends APIError<401> {
  override name = "AuthenticationError";
}
export class PermissionDeniedError extends APIError<403> {
  override name = "PermissionDeniedError";
}
export class NotFoundError extends APIError<404> {
  override name = "NotFoundError";
}
export class ConflictError extends APIError<409> {
  override name = "ConflictError";
}
export class PayloadTooLargeError extends APIError<413> {
  override name = "PayloadTooLargeError";
}
export class UnprocessableEntityError extends APIError<422> {
  override name = "UnprocessableEntityError";
}
export class RateLimitError extends APIError<429> {
  override name = "RateLimitError";
}
export class InternalServerError extends APIError<number> {
  override name = "InternalServerError";
}

// biome-ignore lint/suspicious/noExplicitAny: each class narrows its status and body; this table only constructs them
const STATUS_CLASSES: Record<number, new (status: any, body: any, headers: Headers) => APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

/** The request never got an answer (refused, reset, DNS…); `cause` holds the transport error. */
export class APIConnectionError extends AmbitError {
  override name = "APIConnectionError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No answer within the request's `timeout`. */
export class APIConnectionTimeoutError extends APIConnectionError {
  override name = "APIConnectionTimeoutError";
}

/** The caller aborted the request through its `signal`. */
export class APIUserAbortError extends AmbitError {
  override name = "APIUserAbortError";
}
