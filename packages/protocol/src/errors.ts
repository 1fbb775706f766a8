import { z } from "zod";

/** Error codes: the Oz platform codes (reference/oz-api.md §3.1) plus Ambit's own. */
export const ErrorCode = z.enum([
  "invalid_request",
  "integration_not_configured",
  "authentication_required",
  "external_authentication_required",
  "not_authorized",
  "insufficient_scope",
  "feature_not_available",
  "insufficient_credits",
  "budget_exceeded",
  "integration_disabled",
  "content_policy_violation",
  "resource_not_found",
  "conflict",
  "idempotency_key_reused",
  "payload_too_large",
  "operation_not_supported",
  "environment_setup_failed",
  "internal_error",
  "resource_unavailable",
  "server_misconfigured",
  "rate_limited",
  "quota_exceeded",
  "csrf_rejected",
  "model_auth_failed",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** RFC 7807 problem details, as every error response of the API carries them. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    error: z.string().describe("`title (detail)`, kept for older clients"),
    error_code: ErrorCode,
    retryable: z.boolean(),
    trace_id: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe("for invalid_request: every field that failed validation"),
  })
  .passthrough();
export type Problem = z.infer<typeof Problem>;
