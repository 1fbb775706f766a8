import { createRoute, z } from "@hono/zod-openapi";
import { ListAuditLogQuery, ListAuditLogResponse } from "@ambit/protocol";
import { exportAuditLog, listAuditLog } from "../services/audit/list.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

const tags = ["Audit log"];

export const auditLogRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/audit-log",
      tags,
      security: bearer,
      summary: "The team's audit log, newest first (admin)",
      description:
        "Entries still in D1 (those past the team's `audit_retention_days` moved to R2: read " +
        "them with the export). Filters combine; `cursor` is the previous page's `next_cursor`.",
      request: { query: ListAuditLogQuery },
      responses: {
        200: { description: "OK", ...json(ListAuditLogResponse) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) =>
      c.json(await listAuditLog({ ctx: serviceCtx(c), query: c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/audit-log/export",
      tags,
      security: bearer,
      summary: "The team's whole audit chain as NDJSON, oldest first (admin)",
      description:
        "Archived entries (R2) then those in D1, one JSON entry per line, streamed: what " +
        "`ambit audit verify` re-computes the hash chain from (docs/audit.md).",
      responses: {
        200: {
          description: "NDJSON, one entry per line",
          content: { "application/x-ndjson": { schema: z.string() } },
        },
        ...problems(401, 403),
      },
    }),
    (c) =>
      c.body(exportAuditLog({ ctx: serviceCtx(c) }), 200, {
        "content-type": "application/x-ndjson",
        "cache-control": "no-store",
      }) as never,
  );
