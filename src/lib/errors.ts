import type { ErrorCode } from "@ambit/protocol";

type CatalogEntry = { status: number; title: string; retryable: boolean };

/** The one table of error codes: HTTP status, title and whether a client may retry. */
export const ERROR_CATALOG: Record<ErrorCode, CatalogEntry> = {
  invalid_request: { status: 400, title: "Invalid request", retryable: false },
  integration_not_configured: {
    status: 400,
    title: "Integration not configured",
    retryable: false,
  },
  authentication_required: { status: 401, title: "Authentication required", retryable: false },
  external_authentication_required: {
    status: 401,
    title: "External authentication required",
    retryable: false,
  },
  not_authorized: { status: 403, title: "Not authorized", retryable: false },
  // the key's role would do, but it was minted for other scopes (details.required_scope)
  insufficient_scope: { status: 403, title: "Insufficient scope", retryable: false },
  feature_not_available: { status: 403, title: "Feature not available", retryable: false },
  insufficient_credits: { status: 403, title: "Insufficient credits", retryable: false },
  budget_exceeded: { status: 403, title: "Budget exceeded", retryable: false },
  integration_disabled: { status: 403, title: "Integration disabled", retryable: false },
  content_policy_violation: { status: 403, title: "Content policy violation", retryable: false },
  resource_not_found: { status: 404, title: "Resource not found", retryable: false },
  conflict: { status: 409, title: "Conflict", retryable: true },
  idempotency_key_reused: { status: 422, title: "Idempotency key reused", retryable: false },
  payload_too_large: { status: 413, title: "Payload too large", retryable: false },
  operation_not_supported: { status: 422, title: "Operation not supported", retryable: false },
  environment_setup_failed: { status: 500, title: "Environment setup failed", retryable: false },
  internal_error: { status: 500, title: "Internal error", retryable: true },
  resource_unavailable: { status: 503, title: "Resource unavailable", retryable: true },
  server_misconfigured: { status: 500, title: "Server misconfigured", retryable: false },
  // a transient limit (requests per time, runs waiting in line): retry after `Retry-After` seconds
  rate_limited: { status: 429, title: "Too many requests", retryable: true },
  // a count the platform operator caps (schedules per team): retrying does not help, removing does
  quota_exceeded: { status: 403, title: "Quota exceeded", retryable: false },
  // a cookie-authenticated write (or websocket) from another origin's page: request forgery
  csrf_rejected: { status: 403, title: "Cross-site request refused", retryable: false },
  // a run's model API refused its key (HTTP 401/403 to the agent): a team secret to fix
  model_auth_failed: { status: 502, title: "Model authentication failed", retryable: false },
};

export type FieldError = { path: string; message: string };

/** The one error type of the Worker. `message` says what went wrong and how to fix it. */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** `headers` go on the response (e.g. `Retry-After`), everything else into the problem body */
  readonly details?: {
    errors?: FieldError[];
    retryable?: boolean;
    headers?: Record<string, string>;
    [k: string]: unknown;
  };

  constructor(code: ErrorCode, message: string, details?: AppError["details"]) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }

  get status() {
    return ERROR_CATALOG[this.code].status;
  }
}

export const notFound = (what: string, id: string) =>
  new AppError("resource_not_found", `${what} '${id}' was not found in this team`);
