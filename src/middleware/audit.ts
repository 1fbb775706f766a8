import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes, routePath } from "hono/route";
import { createDb } from "../db/client.ts";
import { auditRouteOf } from "../lib/audit-actions.ts";
import type { AuditNote } from "../lib/audit-note.ts";
import { log } from "../lib/log.ts";
import { auditActorOf } from "../services/audit/actor.ts";
import { type AuditInput, prepareAudit, recordAuditSafely } from "../db/audit-log.ts";
import type { AppEnv } from "./types.ts";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Records every successful write (POST, PUT, PATCH, DELETE answered below 400) in the caller's
 * team's audit log, after the handler ran: the one place writes are recorded, so a route added
 * tomorrow is recorded too. The action comes from the route's pattern (lib/audit-actions.ts);
 * the handler or service may add changed fields through `Ctx.audit` (lib/audit-note.ts). The
 * entry is written before the answer leaves; a failure to write it is logged and never turns the
 * write into an error (docs/audit.md says what is guaranteed). A write on a hot path (a run's
 * creation) may take its entry into its own D1 batch instead (`auditRide`): one round trip less,
 * and the two commit together.
 */
export const auditWrites = createMiddleware<AppEnv>(async (c, next) => {
  if (!WRITES.has(c.req.method)) return next();
  const note: AuditNote = {};
  note.ride = async (target) => {
    note.target = target;
    // preparing it must not fail the write: on an error nothing rides (the entry is recorded
    // after the handler as usual, where a failure is logged)
    const riding = await auditInputOf(c, note)
      .then((input) => input && prepareAudit(c.env, input))
      .catch((error) => {
        log.error("audit entry could not ride in the write's batch", { error });
        return null;
      });
    if (!riding) return null;
    return {
      statements: riding.statements,
      landed(results) {
        if (riding.landed(results)) note.recorded = true;
      },
    };
  };
  c.set("audit", note);
  await next();
  if (c.res.status >= 400 || note.recorded) return;
  // an idempotent replay changed nothing: its first answer was recorded
  if (c.res.headers.get("idempotent-replayed") === "true") return;
  const input = await safeInputOf(c, note);
  if (input) await recordAuditSafely(c.env, input);
});

/** `auditInputOf`, whose failure (reading the actor's name) is logged and never fails the write. */
async function safeInputOf(c: Context<AppEnv>, note: AuditNote): Promise<AuditInput | null> {
  try {
    return await auditInputOf(c, note);
  } catch (error) {
    log.error("audit entry lost: its actor could not be read", {
      method: c.req.method,
      path: c.req.path,
      error,
    });
    return null;
  }
}

/** Adds to the request's audit entry from a handler (routes without a key name their team). */
export function noteAudit(c: Context<AppEnv>, note: AuditNote): void {
  const current = c.get("audit");
  if (current) Object.assign(current, note);
}

/** The request's client, as an entry names it. */
export function auditClient(c: Context<AppEnv>) {
  return {
    ip: c.req.header("cf-connecting-ip") ?? null,
    userAgent: c.req.header("user-agent") ?? null,
    requestId: c.get("requestId") ?? null,
  };
}

/** Hono's `/api/v1/team/members/:uid` as the OpenAPI document writes it: `/team/members/{uid}`. */
export function openApiPath(honoPath: string): string {
  return honoPath
    .replace(/^\/api\/v1(?=\/)/, "")
    .replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}")
    .replace(/\/$/, "");
}

async function auditInputOf(c: Context<AppEnv>, note: AuditNote): Promise<AuditInput | null> {
  const path = openApiPath(routeOf(c));
  const route = auditRouteOf(c.req.method, path);
  if (route.recordedBy) return null; // recorded there, with what only it knows
  const auth = c.get("auth");
  const teamId = note.teamId ?? auth?.teamId ?? c.get("hostToken")?.teamId;
  if (!teamId) {
    log.error("audit entry lost: a write names no team", { path, method: c.req.method });
    return null;
  }
  const actor =
    note.actor ??
    (auth
      ? await auditActorOf(createDb(c.env.DB), teamId, auth.actor, auth.auditName)
      : { type: "platform" as const, id: "platform", name: "Ambit" });
  const params = c.req.param() as Record<string, string>;
  const param = route.targetParam ?? Object.keys(params).at(-1);
  const targetId = note.target?.id ?? (param ? params[param] : await answerId(c));
  return {
    teamId,
    actor,
    action: note.action ?? route.action,
    target: { type: note.target?.type ?? route.target, id: targetId ?? null },
    changes: note.changes ?? null,
    ...auditClient(c),
  };
}

/**
 * The pattern of the route the request matched: its handler's (a middleware may have answered
 * for it, e.g. a rate limit or an idempotent replay), registered for its method, not `ALL`.
 */
function routeOf(c: Context<AppEnv>): string {
  const handler = matchedRoutes(c).findLast((r) => r.method !== "ALL");
  return handler?.path ?? routePath(c);
}

/** The id the answer names (`uid`, `id`, `run_id`), for creates whose path has none. */
async function answerId(c: Context<AppEnv>): Promise<string | undefined> {
  if (!c.res.headers.get("content-type")?.startsWith("application/json")) return undefined;
  try {
    const body = (await c.res.clone().json()) as Record<string, unknown>;
    const id = body.uid ?? body.id ?? body.run_id ?? body.name;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
