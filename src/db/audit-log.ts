import { AUDIT_GENESIS_HASH, type AuditEntry, auditEntryHash } from "@ambit/protocol";
import { and, desc, eq, getTableColumns, gt, sql } from "drizzle-orm";
import { createDb, type Db } from "./client.ts";
import { auditLog } from "./schema.ts";
import { statementOnce } from "./statements.ts";
import type { AuditActor, AuditChanges } from "../lib/audit-note.ts";
import { newUid } from "../lib/ids.ts";
import { errorText, log } from "../lib/log.ts";
import { iso } from "../lib/time.ts";

// The audit log's one writer (docs/audit.md): here beside the schema rather than in services/
// because the Durable Objects record too (a host's connection to its pool) and never import
// services.

/** What a caller records; the chain (seq, hashes), the id and the time are added here. */
export type AuditInput = {
  teamId: string;
  actor: AuditActor;
  action: string;
  target?: { type?: string | null; id?: string | null };
  changes?: AuditChanges | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  at?: number;
};

/** Appends losing a race to the same seq retry on the new head; past this many, give up loudly. */
const MAX_ATTEMPTS = 40;
const cut = (s: string | null | undefined, n: number) => (s == null ? null : s.slice(0, n));

/**
 * Appends one entry to the team's hash chain: reads the head (the newest entry, which the
 * archive never moves), links to it, and inserts. UNIQUE(team_id, seq) refuses the second of two
 * appends that read the same head, and that one retries on the new head: no fork, no gap.
 * Each attempt is one round trip: the entry, inserted only if the head it links to is still the
 * newest, and the newest read beside it for the next attempt when it was not. Where this isolate
 * appended the team's last entry it knows the head, and an append takes that one round trip.
 */
export async function recordAudit(env: Env, input: AuditInput): Promise<AuditEntry> {
  const db = createDb(env.DB);
  const at = input.at ?? Date.now();
  const base = unlinked(input, at);
  // the head to link to: the one this isolate last wrote for the team, else read
  let head: Head | null | undefined = heads.get(input.teamId);
  for (let attempt = 1; ; attempt++) {
    if (head === undefined) head = (await chainHead(db, input.teamId)) ?? null;
    const entry = await linked(base, head);
    try {
      const newest = await appendAfter(db, head, toRow(entry, at));
      if (newest === "appended") {
        rememberHead(input.teamId, { seq: entry.seq, hash: entry.hash });
        return entry;
      }
      // the head moved on (another isolate, a concurrent request): link to the one read with it
      heads.delete(input.teamId);
      head = newest;
      if (attempt >= MAX_ATTEMPTS)
        throw new Error(`the audit chain's head moved ${attempt} times while appending`);
    } catch (err) {
      heads.delete(input.teamId);
      if (!lostTheRace(err) || attempt >= MAX_ATTEMPTS) throw err;
      head = undefined;
    }
    // another append took this seq: back off a little (jittered) and link to the new head
    if (attempt > 1)
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, attempt * 5)));
  }
}

/** An entry as `input` says, but for its place in the chain (seq, prev_hash, hash). */
function unlinked(input: AuditInput, at: number) {
  // as stored and read back (JSON), so the hash covers exactly what an export shows
  const changes =
    input.changes && Object.keys(input.changes).length > 0
      ? (JSON.parse(JSON.stringify(input.changes)) as AuditEntry["changes"])
      : null;
  return {
    id: newUid(),
    team_id: input.teamId,
    at: iso(at),
    actor: {
      type: input.actor.type,
      id: input.actor.id,
      name: cut(input.actor.name, 200),
      member_id: input.actor.memberId ?? null,
    },
    ip: cut(input.ip, 64),
    user_agent: cut(input.userAgent, 500),
    request_id: cut(input.requestId, 128),
    action: input.action,
    target: { type: input.target?.type ?? null, id: cut(input.target?.id, 200) },
    changes,
  };
}

/** The entry linked after `head` (null: the team's first), hashed. */
async function linked(base: ReturnType<typeof unlinked>, head: Head | null): Promise<AuditEntry> {
  const unhashed = {
    ...base,
    seq: (head?.seq ?? 0) + 1,
    prev_hash: head?.hash ?? AUDIT_GENESIS_HASH,
  };
  return { ...unhashed, hash: await auditEntryHash(unhashed) };
}

/** An entry prepared to ride in a write's own D1 batch: `prepareAudit`. */
export type RidingAudit = {
  /** to go last in the write's batch */
  statements: D1PreparedStatement[];
  /** the batch's results for `statements`: whether the entry was appended */
  landed(results: D1Result[]): boolean;
};

/**
 * An entry that rides in the write's own D1 batch, linked to the head this isolate last wrote
 * for the team: the write and its record are one round trip, and commit together. Its insert
 * takes no row when the head has moved on (another isolate appended meanwhile), which fails
 * nothing in the batch; `landed` is false then, and the caller appends the entry the usual way
 * (`recordAudit`), linked to the head read beside it. Null when this isolate knows no head for
 * the team (its first entry for it): nothing rides.
 */
export async function prepareAudit(env: Env, input: AuditInput): Promise<RidingAudit | null> {
  const head = heads.get(input.teamId);
  if (!head) return null;
  const at = input.at ?? Date.now();
  const entry = await linked(unlinked(input, at), head);
  const db = createDb(env.DB);
  const mine = { seq: entry.seq, hash: entry.hash };
  // the head from now on, before it lands: a ride prepared meanwhile (a concurrent creation)
  // links to this entry rather than race it for the same seq
  if (heads.get(input.teamId)?.seq === head.seq) rememberHead(input.teamId, mine);
  return {
    statements: appendStatements(db, head, toRow(entry, at)),
    landed([inserted, newest]) {
      if (inserted.meta.changes > 0) {
        if ((heads.get(input.teamId)?.seq ?? 0) < mine.seq) rememberHead(input.teamId, mine);
        return true;
      }
      // not appended: unless a later ride moved the head on, link to the newest, read beside it
      if (heads.get(input.teamId)?.seq === mine.seq) {
        const now = (newest.results as Head[])[0];
        if (now) rememberHead(input.teamId, now);
        else heads.delete(input.teamId);
      }
      return false;
    },
  };
}

/**
 * `recordAudit` for work that must not fail because its record did: a failure is logged loudly
 * (`audit entry lost`, with the whole entry but its changes) and swallowed.
 */
export async function recordAuditSafely(env: Env, input: AuditInput): Promise<void> {
  try {
    await recordAudit(env, input);
  } catch (error) {
    const { changes: _changes, ...entry } = input;
    log.error("audit entry lost", { ...entry, error });
  }
}

/** Whether D1 refused the insert for UNIQUE(team_id, seq) (drizzle wraps D1's error as `cause`). */
function lostTheRace(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as Error).cause, depth++) {
    if (/UNIQUE constraint failed: audit_log\.team_id, audit_log\.seq/.test(errorText(e)))
      return true;
  }
  return false;
}

type Head = { seq: number; hash: string };

/**
 * Each team's head as this isolate last wrote it, or read it beside an entry that could not ride
 * (bounded; the oldest team goes first). Only a hint: every insert checks it in the database, so
 * a stale one costs a round trip, never a fork.
 */
const heads = new Map<string, Head>();
const MAX_HEADS = 1000;

function rememberHead(teamId: string, head: Head) {
  heads.delete(teamId);
  heads.set(teamId, head);
  if (heads.size > MAX_HEADS) heads.delete(heads.keys().next().value!);
}

const COLUMNS = Object.keys(getTableColumns(auditLog)) as (keyof typeof auditLog.$inferInsert)[];
type Row = typeof auditLog.$inferInsert;

/**
 * The entry's INSERT, taken only while the head it links to is the team's newest entry (`headSeq`
 * exists with `headHash` and nothing follows it), or, for a team's first entry, while the team has
 * none. Built once per isolate (statementOnce): an append is on every audited write's path.
 */
const values = () =>
  sql.join(
    COLUMNS.map((k) => sql.placeholder(k)),
    sql`, `,
  );
const ofTeam = () => eq(auditLog.teamId, sql.placeholder("teamId"));
const insertAfterHead = statementOnce<Row & { headSeq: number; headHash: string }>((db) =>
  db
    .insert(auditLog)
    .select(
      sql`select ${values()} where exists (select 1 from ${auditLog} where ${and(
        ofTeam(),
        eq(auditLog.seq, sql.placeholder("headSeq")),
        eq(auditLog.hash, sql.placeholder("headHash")),
      )}) and not exists (select 1 from ${auditLog} where ${and(
        ofTeam(),
        gt(auditLog.seq, sql.placeholder("headSeq")),
      )})`,
    ),
);
const insertFirst = statementOnce<Row>((db) =>
  db
    .insert(auditLog)
    .select(sql`select ${values()} where not exists (select 1 from ${auditLog} where ${ofTeam()})`),
);

/** The team's newest entry (the chain's head). */
const chainHeadStatement = statementOnce<{ teamId: string }>((db) =>
  db
    .select({ seq: auditLog.seq, hash: auditLog.hash })
    .from(auditLog)
    .where(ofTeam())
    .orderBy(desc(auditLog.seq))
    .limit(1),
);

/**
 * Inserts `row` only while `head` is the team's newest entry (null: the team has no entry), and
 * reads the newest entry in the same round trip: `"appended"`, or the head to link to instead.
 * UNIQUE(team_id, seq) still refuses a concurrent twin.
 */
async function appendAfter(db: Db, head: Head | null, row: Row): Promise<"appended" | Head | null> {
  const [inserted, newest] = await db.$client.batch<Head>(appendStatements(db, head, row));
  return inserted.meta.changes > 0 ? "appended" : (newest.results[0] ?? null);
}

/** The entry's insert, taken only while `head` is the newest (null: none yet), and the newest beside it. */
function appendStatements(db: Db, head: Head | null, row: Row): D1PreparedStatement[] {
  const insert = head
    ? insertAfterHead(db, { ...row, headSeq: head.seq, headHash: head.hash })
    : insertFirst(db, row);
  return [insert, chainHeadStatement(db, { teamId: row.teamId })];
}

async function chainHead(db: Db, teamId: string): Promise<Head | undefined> {
  const { results } = await chainHeadStatement(db, { teamId }).all<Head>();
  return results[0];
}

function toRow(e: AuditEntry, at: number): typeof auditLog.$inferInsert {
  return {
    id: e.id,
    teamId: e.team_id,
    seq: e.seq,
    at,
    actorType: e.actor.type,
    actorId: e.actor.id,
    actorName: e.actor.name,
    actorMemberId: e.actor.member_id,
    ip: e.ip,
    userAgent: e.user_agent,
    requestId: e.request_id,
    action: e.action,
    targetType: e.target.type,
    targetId: e.target.id,
    changes: e.changes ? JSON.stringify(e.changes) : null,
    prevHash: e.prev_hash,
    hash: e.hash,
  };
}

/** A stored row as its wire entry (what the hash covers, plus the hash). */
export function toAuditEntry(r: typeof auditLog.$inferSelect): AuditEntry {
  return {
    id: r.id,
    team_id: r.teamId,
    seq: r.seq,
    at: iso(r.at),
    actor: {
      type: r.actorType as AuditEntry["actor"]["type"],
      id: r.actorId,
      name: r.actorName,
      member_id: r.actorMemberId,
    },
    ip: r.ip,
    user_agent: r.userAgent,
    request_id: r.requestId,
    action: r.action,
    target: { type: r.targetType, id: r.targetId },
    changes: r.changes ? (JSON.parse(r.changes) as AuditEntry["changes"]) : null,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}
