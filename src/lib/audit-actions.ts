// Which audit action each write route records (middleware/audit.ts). Keys are `METHOD path` as
// the OpenAPI document writes them (relative to /api/v1; the console's sign-in at the root), so
// `test/integration/audit-coverage.test.ts` can hold this table to every write operation there.
// A write route missing here is still recorded, under `fallbackAuditAction`'s name.

/**
 * How a route's write is recorded: its action, and its target's type (id: the last path param,
 * else the answer's id). `recordedBy`: the module that records it instead of the middleware (a
 * write that carries no key, whose team is known only later).
 */
export type AuditRoute = {
  action: string;
  target: string;
  targetParam?: string;
  recordedBy?: string;
};

export const AUDIT_ROUTES: Record<string, AuditRoute> = {
  "POST /teams": { action: "team.create", target: "team" },
  "PATCH /team": { action: "team.update", target: "team" },
  "PATCH /team/budget": { action: "budget.update", target: "team" },
  "PUT /team/budget/members/{uid}": { action: "budget.member_set", target: "member" },
  "DELETE /team/budget/members/{uid}": { action: "budget.member_clear", target: "member" },
  "POST /team/members": { action: "member.add", target: "member" },
  "PATCH /team/members/{uid}": { action: "member.update", target: "member" },
  "DELETE /team/members/{uid}": { action: "member.remove", target: "member" },
  "POST /api-keys": { action: "api_key.create", target: "api_key" },
  "DELETE /api-keys/{uid}": { action: "api_key.revoke", target: "api_key" },
  "DELETE /auth/sessions/{uid}": { action: "session.revoke", target: "session" },
  "POST /agent/runs": { action: "run.create", target: "run" },
  "POST /agent/run": { action: "run.create", target: "run" },
  "POST /agent/runs/{runId}/cancel": { action: "run.cancel", target: "run" },
  "POST /agent/tasks/{taskId}/cancel": { action: "run.cancel", target: "run" },
  "PATCH /agent/runs/{runId}/sharing": { action: "run.share", target: "run" },
  "POST /agent/runs/{runId}/session-token": { action: "run.attach_token", target: "run" },
  "POST /agent/runs/{runId}/followups": { action: "run.followup", target: "run" },
  "POST /agent/runs/{runId}/local/claim": { action: "run.local_claim", target: "run" },
  "POST /agent/runs/{runId}/local/report": { action: "run.local_report", target: "run" },
  "POST /agent/runs/{runId}/local-executions": { action: "run.local_continue", target: "run" },
  "POST /agent/runs/{runId}/artifacts": { action: "artifact.create", target: "run" },
  "POST /agent/runs/{runId}/artifacts/files": { action: "artifact.upload", target: "run" },
  "PUT /agent/runs/{runId}/checkpoints/{checkpointId}": {
    action: "run.checkpoint",
    target: "run",
    targetParam: "runId",
  },
  "POST /agent/schedules": { action: "schedule.create", target: "schedule" },
  "PUT /agent/schedules/{scheduleId}": { action: "schedule.update", target: "schedule" },
  "DELETE /agent/schedules/{scheduleId}": { action: "schedule.delete", target: "schedule" },
  "POST /agent/schedules/{scheduleId}/pause": { action: "schedule.pause", target: "schedule" },
  "POST /agent/schedules/{scheduleId}/resume": { action: "schedule.resume", target: "schedule" },
  "POST /integrations": { action: "integration.create", target: "integration" },
  "PATCH /integrations/{uid}": { action: "integration.update", target: "integration" },
  "DELETE /integrations/{uid}": { action: "integration.delete", target: "integration" },
  "POST /integrations/{uid}/deliveries/{deliveryId}/redeliver": {
    action: "integration.redeliver",
    target: "integration",
    targetParam: "uid",
  },
  // an inbound delivery carries no key and names no team until it is processed: the run it
  // creates (or follows up) is recorded then, with the integration as its actor
  "POST /integrations/{uid}/events": {
    action: "run.create",
    target: "run",
    recordedBy: "services/integrations/process-delivery.ts",
  },
  "POST /webhooks": { action: "webhook.create", target: "webhook" },
  "PATCH /webhooks/{uid}": { action: "webhook.update", target: "webhook" },
  "DELETE /webhooks/{uid}": { action: "webhook.delete", target: "webhook" },
  "POST /webhooks/{uid}/test": { action: "webhook.test", target: "webhook" },
  "POST /webhooks/{uid}/deliveries/{id}/resend": {
    action: "webhook.resend",
    target: "webhook",
    targetParam: "uid",
  },
  "POST /agent/secrets": { action: "secret.create", target: "secret" },
  "PUT /agent/secrets/{name}": { action: "secret.update", target: "secret" },
  "DELETE /agent/secrets/{name}": { action: "secret.delete", target: "secret" },
  "POST /agent/secrets/rotate": { action: "secret.rotate_key", target: "team" },
  "POST /agent/environments": { action: "environment.create", target: "environment" },
  "PUT /agent/environments/{uid}": { action: "environment.update", target: "environment" },
  "DELETE /agent/environments/{uid}": { action: "environment.delete", target: "environment" },
  "POST /agent/models": { action: "model.create", target: "model" },
  "PUT /agent/models/{id}": { action: "model.update", target: "model" },
  "DELETE /agent/models/{id}": { action: "model.delete", target: "model" },
  "POST /agent/mcp-servers": { action: "mcp_server.create", target: "mcp_server" },
  "PUT /agent/mcp-servers/{uid}": { action: "mcp_server.update", target: "mcp_server" },
  "DELETE /agent/mcp-servers/{uid}": { action: "mcp_server.delete", target: "mcp_server" },
  "POST /agent/rules": { action: "rule.create", target: "rule" },
  "PUT /agent/rules/{uid}": { action: "rule.update", target: "rule" },
  "DELETE /agent/rules/{uid}": { action: "rule.delete", target: "rule" },
  "POST /agent/prompts": { action: "prompt.create", target: "prompt" },
  "PUT /agent/prompts/{uid}": { action: "prompt.update", target: "prompt" },
  "DELETE /agent/prompts/{uid}": { action: "prompt.delete", target: "prompt" },
  "PUT /agent/env-vars/{name}": { action: "env_var.set", target: "env_var" },
  "DELETE /agent/env-vars/{name}": { action: "env_var.delete", target: "env_var" },
  "POST /agent/identities": { action: "identity.create", target: "identity" },
  "PUT /agent/identities/{uid}": { action: "identity.update", target: "identity" },
  "DELETE /agent/identities/{uid}": { action: "identity.delete", target: "identity" },
  "POST /agent/skills": { action: "skill.create", target: "skill" },
  "PATCH /agent/skills": { action: "skill.update", target: "skill" },
  "DELETE /agent/skills": { action: "skill.delete", target: "skill" },
  "POST /integrations/{uid}/install-link": {
    action: "integration.install_link",
    target: "integration",
  },
  "POST /integrations/{uid}/link-codes": { action: "integration.link_code", target: "integration" },
  "POST /service-accounts": { action: "service_account.create", target: "service_account" },
  "PATCH /service-accounts/{uid}": { action: "service_account.update", target: "service_account" },
  "DELETE /service-accounts/{uid}": { action: "service_account.delete", target: "service_account" },
  // the platform admin (no key): the team is the path's, the actor `platform` (routes/platform.ts)
  "PATCH /platform/teams/{uid}/limits": { action: "team.rate_ceilings_update", target: "team" },
  "PUT /team/sso": { action: "sso.update", target: "team" },
  "DELETE /team/sso": { action: "sso.delete", target: "team" },
  // `ambit login --web`: the approval, by a signed-in person, mints their key (the entry); the
  // CLI's code request and polls carry no credential and name no team until then
  "POST /auth/device/{user_code}": {
    action: "device_login.decide",
    target: "device_login",
    targetParam: "user_code",
  },
  "POST /auth/device/code": {
    action: "device_login.start",
    target: "device_login",
    recordedBy: "nothing: no team is known before the approval, which is recorded",
  },
  "POST /auth/device/token": {
    action: "device_login.poll",
    target: "device_login",
    recordedBy: "nothing: the approval that minted the key was recorded",
  },
  // the console's sign-in, at the root: it records its own entries, failures included
  "POST /auth/sign-in": {
    action: "auth.sign_in",
    target: "session",
    recordedBy: "routes/web-auth.ts",
  },
  "POST /auth/sign-out": {
    action: "auth.sign_out",
    target: "session",
    recordedBy: "routes/web-auth.ts",
  },
};

const VERBS: Record<string, string> = {
  POST: "create",
  PUT: "update",
  PATCH: "update",
  DELETE: "delete",
};

/**
 * The action of a write route the table does not name: its path's literal segments (`agent/`
 * dropped) and the method's verb, e.g. `POST /agent/widgets/{id}/polish` → `widgets.polish.create`.
 */
export function fallbackAuditAction(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((s) => s && !s.startsWith("{"))
    .filter((s, i) => !(i === 0 && s === "agent"))
    .map((s) => s.replace(/-/g, "_"));
  return [...(words.length ? words : ["api"]), VERBS[method] ?? method.toLowerCase()].join(".");
}

/** The table's rule for a route, or a derived one (target: the last path param, if any). */
export function auditRouteOf(method: string, path: string): AuditRoute & { known: boolean } {
  const known = AUDIT_ROUTES[`${method} ${path}`];
  if (known) return { ...known, known: true };
  const words = path.split("/").filter((s) => s && !s.startsWith("{"));
  const target = (words.at(-1) ?? "api").replace(/-/g, "_");
  return { action: fallbackAuditAction(method, path), target, known: false };
}
