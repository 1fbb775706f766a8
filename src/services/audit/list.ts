import type { AuditEntry, ListAuditLogQuery, ListAuditLogResponse } from "@ambit/protocol";
import { and, asc, desc, eq, gt, gte, lt, or, sql } from "drizzle-orm";
import { auditLog } from "../../db/schema.ts";
import { decodeCursor, keysetPage } from "../../lib/cursor.ts";
import { type Ctx, requireRole } from "../context.ts";
import { archivedChunks } from "./archive.ts";
import { toAuditEntry } from "../../db/audit-log.ts";

const SORT = "seq";
const WHO = "Reading the audit log";

/** The team's audit entries in D1 (not those moved to R2: see `exportAuditLog`), newest first. */
export async function listAuditLog({
  ctx,
  query,
}: {
  ctx: Ctx;
  query: ListAuditLogQuery;
}): Promise<ListAuditLogResponse> {
  requireRole(ctx, "admin", WHO);
  const limit = query.limit ?? 50;
  const after = query.cursor ? decodeCursor(query.cursor, SORT, "desc") : null;
  const action = query.action;
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.teamId, ctx.teamId),
        query.actor
          ? or(eq(auditLog.actorId, query.actor), eq(auditLog.actorMemberId, query.actor))
          : undefined,
        action
          ? action.endsWith(".")
            ? // a prefix, compared as it is (LIKE would read `_` in `api_key.` as a wildcard)
              sql`substr(${auditLog.action}, 1, ${action.length}) = ${action}`
            : eq(auditLog.action, action)
          : undefined,
        query.target ? eq(auditLog.targetId, query.target) : undefined,
        query.from ? gte(auditLog.at, Date.parse(query.from)) : undefined,
        query.to ? lt(auditLog.at, Date.parse(query.to)) : undefined,
        after ? lt(auditLog.seq, Number(after.value)) : undefined,
      ),
    )
    .orderBy(desc(auditLog.seq))
    .limit(limit + 1);
  const { page, page_info } = keysetPage(rows, limit, (last) => ({
    sortBy: SORT,
    order: "desc",
    value: last.seq,
    id: last.id,
  }));
  return { entries: page.map(toAuditEntry), page_info };
}

const PAGE = 500;

/**
 * The team's whole chain, oldest first, as NDJSON: the chunks moved to R2, then the rows in D1.
 * Streamed page by page; an entry seen twice (a chunk written again after a failed delete) once.
 */
export function exportAuditLog({ ctx }: { ctx: Ctx }): ReadableStream<Uint8Array> {
  requireRole(ctx, "admin", WHO);
  const encoder = new TextEncoder();
  let lastSeq = 0;
  const line = (e: AuditEntry) => encoder.encode(`${JSON.stringify(e)}\n`);
  async function* entries(): AsyncGenerator<Uint8Array> {
    for (const chunk of await archivedChunks(ctx.env, ctx.teamId)) {
      if (chunk.to <= lastSeq) continue;
      const object = await ctx.env.ARTIFACTS.get(chunk.key);
      if (!object) continue;
      for (const text of (await object.text()).split("\n")) {
        if (!text) continue;
        const e = JSON.parse(text) as AuditEntry;
        if (e.seq <= lastSeq) continue;
        lastSeq = e.seq;
        yield line(e);
      }
    }
    for (;;) {
      const rows = await ctx.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.teamId, ctx.teamId), gt(auditLog.seq, lastSeq)))
        .orderBy(asc(auditLog.seq))
        .limit(PAGE);
      for (const r of rows) {
        lastSeq = r.seq;
        yield line(toAuditEntry(r));
      }
      if (rows.length < PAGE) return;
    }
  }
  const it = entries();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await it.return(undefined);
    },
  });
}
