import { Hono } from "hono";
import { AppError } from "../lib/errors.ts";
import type { GatewayProvider } from "../lib/model-keys.ts";
import type { AppEnv } from "../middleware/types.ts";
import { forwardModelCall } from "../services/gateway/forward.ts";

/**
 * The model gateway (docs/gateway.md): each provider's API under `/api/v1/gateway/<provider>`,
 * as the agent CLIs and the built-in harness call it, authenticated by the run's gateway
 * credential in whatever header the client sends its API key. Mounted before the API's body
 * limit (an agent's context can pass it) and outside the OpenAPI document (these are the
 * providers' APIs, not Ambit's).
 */
export const gatewayRoutes = new Hono<AppEnv>();

const PROVIDERS = new Set<GatewayProvider>(["anthropic", "openai", "gemini"]);

gatewayRoutes.all("/:provider/*", async (c) => {
  const provider = c.req.param("provider") as GatewayProvider;
  if (!PROVIDERS.has(provider))
    throw new AppError(
      "resource_not_found",
      `the model gateway speaks anthropic, openai and gemini, not '${provider}'`,
    );
  // a client that tries a WebSocket first (Codex's Responses) falls back to HTTPS on 426
  if (c.req.header("upgrade")?.toLowerCase() === "websocket")
    return c.body(null, 426, { connection: "close" });
  const path = c.req.path.slice(c.req.path.indexOf(`/${provider}/`) + provider.length + 1);
  return forwardModelCall({
    env: c.env,
    req: c.req.raw,
    provider,
    path,
    waitUntil: (p) => c.executionCtx.waitUntil(p),
  });
});
