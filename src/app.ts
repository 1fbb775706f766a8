import { OpenAPIHono } from "@hono/zod-openapi";
import { Problem } from "@ambit/protocol";
import { HTTPException } from "hono/http-exception";
import { AppError } from "./lib/errors.ts";
import { problemResponse, redactedPath } from "./lib/problem.ts";
import { requireAuth } from "./middleware/auth.ts";
import { hostTokenAuth } from "./middleware/host-token.ts";
import { scopeCheck } from "./middleware/scope.ts";
import { apiRateLimit } from "./middleware/api-rate-limit.ts";
import { auditWrites } from "./middleware/audit.ts";
import { bodyLimit } from "./middleware/body-limit.ts";
import { idempotency } from "./middleware/idempotency.ts";
import { publicLinkRateLimit } from "./middleware/public-link-rate-limit.ts";
import { inboundRateLimit } from "./middleware/inbound-rate-limit.ts";
import { signupRateLimit } from "./middleware/signup-rate-limit.ts";
import { sessionAuth } from "./middleware/session.ts";
import { requestId } from "./middleware/request-id.ts";
import type { AppEnv } from "./middleware/types.ts";
import { apiKeyRoutes } from "./routes/api-keys.ts";
import { serviceAccountRoutes } from "./routes/service-accounts.ts";
import { auditLogRoutes } from "./routes/audit-log.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { configRoutes } from "./routes/config.ts";
import { artifactRoutes, artifactUploadRoutes } from "./routes/artifacts.ts";
import { checkpointRoutes } from "./routes/checkpoints.ts";
import { docsRoutes } from "./routes/docs.ts";
import { OPENAPI_TAGS } from "./routes/openapi-tags.ts";
import { gatewayRoutes } from "./routes/gateway.ts";
import { healthRoutes } from "./routes/health.ts";
import { hostRoutes } from "./routes/hosts.ts";
import { publicRunRoutes } from "./routes/public-runs.ts";
import { runSessionRoutes } from "./routes/run-session.ts";
import { runSharingRoutes } from "./routes/run-sharing.ts";
import { localRunRoutes } from "./routes/local-runs.ts";
import { runsRoutes } from "./routes/runs.ts";
import { integrationInboundRoutes, integrationsRoutes } from "./routes/integrations.ts";
import { schedulesRoutes } from "./routes/schedules.ts";
import { statsRoutes } from "./routes/stats.ts";
import { usageRoutes } from "./routes/usage.ts";
import { teamRoutes } from "./routes/team.ts";
import { budgetRoutes } from "./routes/budgets.ts";
import { teamsRoutes } from "./routes/teams.ts";
import { meRoutes } from "./routes/me.ts";
import { webAuthRoutes } from "./routes/web-auth.ts";
import { deviceLoginPublicRoutes, deviceLoginRoutes } from "./routes/device-login.ts";
import { ssoConfigRoutes } from "./routes/sso.ts";
import { ssoSignInRoutes } from "./routes/sso-sign-in.ts";
import { platformRoutes } from "./routes/platform.ts";
import { log } from "./lib/log.ts";

export const API_VERSION = "0.1.0";

/** The Worker's HTTP surface: public routes first, then everything behind an API key. */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>();
  app.use("*", requestId);
  app.route("/", healthRoutes);
  app.get("/api/v1/openapi.json", (c) => c.json(document(new URL(c.req.url).origin)));
  app.route(
    "/",
    docsRoutes((origin) => document(origin) as never),
  );
  app.route("/", webAuthRoutes); // the console's sign-in (a link or a key) and sign-out

  // model calls of runs: the run's gateway credential, no API body limit (see routes/gateway.ts)
  app.route("/api/v1/gateway", gatewayRoutes);

  const api = new OpenAPIHono<AppEnv>();
  api.use("*", bodyLimit);
  api.use("*", auditWrites); // every successful write, whoever it came from, is recorded
  api.on("POST", "/teams", signupRateLimit); // signup: limited per client address
  api.use("/teams", idempotency); // signup: the one route without a key
  api.route("/", teamsRoutes);
  api.use("/public/*", publicLinkRateLimit); // no key: limited per client address
  api.route("/", publicRunRoutes); // a run's public link: the share id is the credential, read-only
  api.on("POST", "/integrations/:uid/events", inboundRateLimit); // no key: limited per address
  api.route("/", integrationInboundRoutes); // a sender's delivery: its signature is the credential
  api.route("/", ssoSignInRoutes); // single sign-on for the console: no credential yet
  api.route("/", deviceLoginPublicRoutes); // `ambit login --web`: the device code is the credential
  api.route("/", platformRoutes); // the platform admin: the operator's PLATFORM_ADMIN_TOKEN, no key
  api.use("*", sessionAuth); // a console session cookie stands for a key where none is sent
  api.route("/", runSessionRoutes); // attach: API key, session or ?token=, checked by the routes themselves
  api.route("/", artifactUploadRoutes); // the run's HOST token or an admin key; signed download links
  api.route("/", checkpointRoutes); // written with the run's HOST token; read as its events are
  api.use("/selfhosted/worker/ws", hostTokenAuth); // platform runner containers: a host credential instead of a key
  api.use("*", requireAuth, scopeCheck, apiRateLimit, idempotency);
  api.route("/", teamRoutes);
  api.route("/", budgetRoutes);
  api.route("/", meRoutes);
  api.route("/", apiKeyRoutes);
  api.route("/", serviceAccountRoutes);
  api.route("/", runsRoutes);
  api.route("/", runSharingRoutes);
  api.route("/", schedulesRoutes);
  api.route("/", integrationsRoutes);
  api.route("/", localRunRoutes);
  api.route("/", hostRoutes);
  api.route("/", configRoutes);
  api.route("/", artifactRoutes);
  api.route("/", statsRoutes);
  api.route("/", usageRoutes);
  api.route("/", webhookRoutes);
  api.route("/", ssoConfigRoutes);
  api.route("/", deviceLoginRoutes);
  api.route("/", auditLogRoutes);
  app.route("/api/v1", api);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An Ambit API key",
  });
  app.openAPIRegistry.register("Problem", Problem);
  app.openAPIRegistry.registerComponent("securitySchemes", "platformAdmin", {
    type: "http",
    scheme: "bearer",
    description: "The platform operator's PLATFORM_ADMIN_TOKEN secret (not an API key)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "attachToken", {
    type: "apiKey",
    in: "query",
    name: "token",
    description: "An attach token",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: "ambit_session",
    description:
      "The web console's session (POST /auth/sign-in); writes need a same-origin Origin header",
  });
  // Paths in the document are relative to the server URL (`/api/v1`), as generated SDKs expect.
  function document(origin: string) {
    const doc = app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "Ambit API",
        version: API_VERSION,
        description:
          "Ambient coding agents: runs, schedules, teams and API keys. Compatible with the Oz Agent API (oz-agent-sdk).",
      },
      servers: [{ url: `${origin}/api/v1` }],
      tags: OPENAPI_TAGS,
    });
    // the console's sign-in lives at the root (/auth/…): its paths name their own server
    doc.paths = Object.fromEntries(
      Object.entries(doc.paths ?? {}).map(([p, v]) =>
        p.startsWith("/api/v1/")
          ? [p.slice("/api/v1".length), v]
          : [p, { ...v, servers: [{ url: origin }] }],
      ),
    );
    return doc;
  }

  app.notFound((c) => {
    throw new AppError(
      "resource_not_found",
      `there is no ${c.req.method} ${redactedPath(c.req.path)}; the API is described at /docs`,
    );
  });
  app.onError((err, c) => {
    const opts = {
      instance: redactedPath(c.req.path),
      traceId: c.get("requestId") ?? crypto.randomUUID(),
      origin: new URL(c.req.url).origin,
    };
    if (err instanceof AppError) return problemResponse(err, opts);
    if (err instanceof HTTPException && err.status < 500) {
      const message = err.message || "the request could not be read";
      return problemResponse(
        new AppError(err.status === 413 ? "payload_too_large" : "invalid_request", message),
        opts,
      );
    }
    log.error("unhandled error", {
      request_id: opts.traceId,
      path: opts.instance,
      error: err,
      stack: (err as Error)?.stack,
    });
    return problemResponse(
      new AppError(
        "internal_error",
        "something went wrong on our side; retry, and report the trace_id if it persists",
      ),
      opts,
    );
  });
  return app;
}
