import { and, asc, between, eq, lt, sql } from "drizzle-orm";
import { createDb } from "../../db/client.ts";
import { auditLog, teams } from "../../db/schema.ts";
import { toAuditEntry } from "../../db/audit-log.ts";

// Entries older than their team's retention move from D1 to R2 (the ARTIFACTS bucket), as NDJSON
// chunks keyed by team and seq range, where `exportAuditLog` still reads them. The newest entry
// of a team never moves: it is the head the next append links to (services/audit/record.ts).

const DAY_MS = 86_400_000;
/** Entries per R2 object. */
export const AUDIT_CHUNK = 1000;
/** Chunks moved per housekeeping run (a minute's work stays small). */
const CHUNKS_PER_RUN = 10;
const pad = (seq: number) => String(seq).padStart(12, "0");
const prefix = (teamId: string) => `audit/${teamId}/`;

/** The R2 key of a team's entries `from`..`to`: sorts by seq as text. */
export const chunkKey = (teamId: string, from: number, to: number) =>
  `${prefix(teamId)}${pad(from)}-${pad(to)}.ndjson`;

/** A team's archived chunks, oldest first. */
export async function archivedChunks(env: Env, teamId: string) {
  const chunks: { key: string; from: number; to: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.ARTIFACTS.list({ prefix: prefix(teamId), cursor });
    for (const o of page.objects) {
      const m = /(\d{12})-(\d{12})\.ndjson$/.exec(o.key);
      if (m) chunks.push({ key: o.key, from: Number(m[1]), to: Number(m[2]) });
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return chunks.sort((a, b) => a.from - b.from);
}

/**
 * Moves up to a few chunks of entries past their team's retention to R2: written there first,
 * then deleted from D1 (a failure between the two leaves a copy in both, which the export reads
 * once). Answers how many entries moved.
 */
export async function archiveAuditLog(env: Env, now: number): Promise<number> {
  const db = createDb(env.DB);
  let moved = 0;
  for (let i = 0; i < CHUNKS_PER_RUN; i++) {
    const [due] = await db
      .select({ teamId: auditLog.teamId })
      .from(auditLog)
      .innerJoin(teams, eq(teams.id, auditLog.teamId))
      .where(
        and(
          lt(auditLog.at, sql`${now} - ${teams.auditRetentionDays} * ${DAY_MS}`),
          // not a team's head, which stays
          sql`${auditLog.seq} < (select max(h.seq) from audit_log h where h.team_id = ${auditLog.teamId})`,
        ),
      )
      .limit(1);
    if (!due) break;
    const n = await archiveChunk(env, due.teamId, now);
    if (n === 0) break;
    moved += n;
  }
  return moved;
}

async function archiveChunk(env: Env, teamId: string, now: number): Promise<number> {
  const db = createDb(env.DB);
  const [team] = await db
    .select({ days: teams.auditRetentionDays })
    .from(teams)
    .where(eq(teams.id, teamId));
  if (!team) return 0;
  const [head] = await db
    .select({ seq: sql<number>`max(${auditLog.seq})` })
    .from(auditLog)
    .where(eq(auditLog.teamId, teamId));
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        eq(auditLog.teamId, teamId),
        lt(auditLog.at, now - team.days * DAY_MS),
        lt(auditLog.seq, head?.seq ?? 0),
      ),
    )
    .orderBy(asc(auditLog.seq))
    .limit(AUDIT_CHUNK);
  if (rows.length === 0) return 0;
  const [from, to] = [rows[0]!.seq, rows.at(-1)!.seq];
  const body = rows.map((r) => `${JSON.stringify(toAuditEntry(r))}\n`).join("");
  await env.ARTIFACTS.put(chunkKey(teamId, from, to), body, {
    httpMetadata: { contentType: "application/x-ndjson" },
  });
  await db
    .delete(auditLog)
    .where(and(eq(auditLog.teamId, teamId), between(auditLog.seq, from, to)));
  return rows.length;
}
