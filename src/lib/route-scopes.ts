import type { KeyScope } from "@ambit/protocol";

/**
 * What a route needs of a key, beside the role its service checks: a scope, `any` (every key that
 * may call the API: one limited to `hosts:connect` may not), or `public` (no key at all).
 */
export type RouteNeed = KeyScope | "any" | "public";

/** [path under /api/v1 (`*` one segment, a trailing `**` the rest), for GET, for other methods] */
type Rule = readonly [path: string, read: RouteNeed, write: RouteNeed];

// The one table: a test (test/unit/route-scopes.test.ts) walks the OpenAPI document and fails on
// a route no rule covers. First match wins: specific paths before their prefixes.
const RULES: readonly Rule[] = [
  // no key: each is its own credential, or none (signup, the console's sign-in)
  ["/teams", "public", "public"],
  ["/public/**", "public", "public"],
  ["/integrations/*/events", "public", "public"],
  ["/agent/artifacts/*/content", "public", "public"], // a signed download link
  ["/auth/link/*", "public", "public"],
  ["/auth/sign-in", "public", "public"],
  ["/auth/sign-out", "public", "public"],
  ["/auth/sso/start", "public", "public"],
  ["/auth/sso/callback", "public", "public"], // the provider's answer, bound to the browser's state
  ["/auth/device/code", "public", "public"], // `ambit login --web` asks for a code pair
  ["/auth/device/token", "public", "public"], // and polls with its device code
  ["/integrations/install/callback", "public", "public"], // an OAuth install's signed state
  ["/platform/**", "public", "public"], // the operator's PLATFORM_ADMIN_TOKEN, never a key
  // the caller's own account: minting a key never yields more than the caller's key has
  ["/me", "any", "any"],
  ["/auth/device/*", "any", "any"], // a person approves a CLI's login: the key is theirs, no more
  ["/auth/sessions/**", "any", "any"],
  ["/auth/sessions", "any", "any"],
  ["/api-keys", "admin", "any"],
  ["/api-keys/*", "admin", "admin"],
  ["/team", "any", "admin"],
  ["/team/budget", "any", "admin"],
  ["/team/budget/members/*", "any", "admin"],
  ["/team/members/**", "any", "admin"],
  ["/team/members", "any", "admin"],
  ["/team/sso", "admin", "admin"],
  ["/audit-log/**", "admin", "admin"],
  ["/audit-log", "admin", "admin"],
  ["/service-accounts/**", "admin", "admin"],
  ["/service-accounts", "admin", "admin"],
  // hosts
  ["/selfhosted/worker/ws", "hosts:connect", "hosts:connect"],
  ["/hosts", "config:read", "config:write"],
  ["/agent/connected-self-hosted-workers", "config:read", "config:write"],
  // runs: attaching (and its token) reads; following up, cancelling, sharing write
  ["/agent/runs/*/session-token", "runs:read", "runs:read"],
  // a checkpoint is read like the run's events; only the run's HOST token writes one, never a key
  ["/agent/runs/*/checkpoints/*", "runs:read", "runs:write"],
  ["/agent/runs/**", "runs:read", "runs:write"],
  ["/agent/runs", "runs:read", "runs:write"],
  ["/agent/run", "runs:read", "runs:write"],
  ["/agent/tasks/**", "runs:read", "runs:write"],
  ["/agent/tasks", "runs:read", "runs:write"],
  ["/agent/conversations/**", "runs:read", "runs:write"],
  ["/agent/artifacts/**", "runs:read", "runs:write"],
  ["/stats/**", "runs:read", "runs:write"],
  ["/usage", "runs:read", "runs:read"],
  // configuration: what runs are made of and what starts them
  ["/agent/schedules/**", "config:read", "config:write"],
  ["/agent/schedules", "config:read", "config:write"],
  ["/agent/secrets/**", "config:read", "config:write"],
  ["/agent/secrets", "config:read", "config:write"],
  ["/agent/env-vars/**", "config:read", "config:write"],
  ["/agent/env-vars", "config:read", "config:write"],
  ["/agent/environments/**", "config:read", "config:write"],
  ["/agent/environments", "config:read", "config:write"],
  ["/agent/identities/**", "config:read", "config:write"],
  ["/agent/identities", "config:read", "config:write"],
  ["/agent/mcp-servers/**", "config:read", "config:write"],
  ["/agent/mcp-servers", "config:read", "config:write"],
  ["/agent/rules/**", "config:read", "config:write"],
  ["/agent/rules", "config:read", "config:write"],
  ["/agent/prompts/**", "config:read", "config:write"],
  ["/agent/prompts", "config:read", "config:write"],
  ["/agent/models/**", "config:read", "config:write"],
  ["/agent/models", "config:read", "config:write"],
  ["/agent/skills/**", "config:read", "config:write"],
  ["/agent/skills", "config:read", "config:write"],
  ["/agent", "config:read", "config:write"],
  // linking a Slack user to yourself lets them start runs as you there
  ["/integrations/*/link-codes", "runs:write", "runs:write"],
  ["/integrations/**", "config:read", "config:write"],
  ["/integrations", "config:read", "config:write"],
  ["/webhooks/**", "config:read", "config:write"],
  ["/webhooks", "config:read", "config:write"],
];

const COMPILED = RULES.map(([path, read, write]) => {
  const source = path
    .split("/")
    .map((seg) => (seg === "**" ? ".+" : seg === "*" ? "[^/]+" : seg.replace(/[.-]/g, "\\$&")))
    .join("/");
  return { re: new RegExp(`^${source}/?$`), read, write };
});

/**
 * What `method path` (path under /api/v1) needs of a key; undefined for a route no rule covers,
 * which the middleware refuses (and the table's test catches first).
 */
export function routeNeed(method: string, path: string): RouteNeed | undefined {
  const rule = COMPILED.find((r) => r.re.test(path));
  if (!rule) return undefined;
  return method === "GET" || method === "HEAD" ? rule.read : rule.write;
}
