import type { GatewayProvider } from "../../lib/model-keys.ts";

/**
 * A refusal by the gateway in the provider's own error shape, so each CLI shows its message as
 * it shows the provider's: Anthropic's `{type: "error", error: {type, message}}`, OpenAI's
 * `{error: {message, type, code}}`, Gemini's `{error: {code, message, status}}`. `x-should-retry`
 * tells the Anthropic and OpenAI SDKs whether to try again.
 */
export function providerError(
  provider: GatewayProvider,
  status: 403 | 429,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  const body =
    provider === "anthropic"
      ? {
          type: "error",
          error: { type: status === 429 ? "rate_limit_error" : "permission_error", message },
        }
      : provider === "openai"
        ? { error: { message, type: code, code, param: null } }
        : {
            error: {
              code: status,
              message,
              status: status === 429 ? "RESOURCE_EXHAUSTED" : "PERMISSION_DENIED",
            },
          };
  return Response.json(body, {
    status,
    headers: { "x-should-retry": String(status === 429), ...headers },
  });
}
