import type { AuditActorType, AuditChange } from "@ambit/protocol";

/** Who an audit entry names as its actor (services/audit/record.ts). */
export type AuditActor = {
  type: AuditActorType;
  id: string;
  name?: string | null;
  /** the member or service account a key or session acts for */
  memberId?: string | null;
};

export type AuditChanges = Record<string, AuditChange>;

/**
 * What a write's handler or service adds to the entry the audit middleware records after it
 * (middleware/audit.ts): one object per request, reached through `Ctx.audit`, so services stay
 * free of Hono. Everything is optional; the middleware derives the rest from the route.
 */
export type AuditNote = {
  changes?: AuditChanges;
  target?: { type: string; id: string };
  /** a more precise action than the route's (e.g. `member.leave` for removing oneself) */
  action?: string;
  /** routes without a key (signup) name the team and actor they acted in */
  teamId?: string;
  actor?: AuditActor;
  /** the write recorded its own entry (or needs none): the middleware adds nothing */
  recorded?: boolean;
  /**
   * Set by the middleware: the request's entry, as it stands with `target`, prepared to ride in
   * the write's own D1 batch (`auditRide`). Null: it cannot ride, and is recorded after the
   * handler as usual.
   */
  ride?: (target: { type: string; id: string }) => Promise<AuditRide | null>;
};

/** The request's entry in the write's batch: its statements go last, `landed` takes their results. */
export type AuditRide = {
  statements: D1PreparedStatement[];
  /** marks the entry recorded if it was appended; if not, the middleware appends it after */
  landed(results: D1Result[]): void;
};

type HasNote = { audit?: AuditNote };

/** Adds changed fields (`{role: {before: "member", after: "admin"}}`) to the request's entry. */
export function noteAuditChanges(ctx: HasNote, changes: AuditChanges): void {
  if (!ctx.audit) return;
  ctx.audit.changes = { ...ctx.audit.changes, ...changes };
}

/**
 * The request's entry, prepared to ride in the write's D1 batch, naming `target` (see
 * `AuditNote.ride`): its statements go last in the batch, and `landed` takes their results.
 * Call it once everything the entry says is known (its changes noted), just before the batch; a
 * write that answers an error after its batch committed is recorded all the same, as it happened.
 * Undefined when nothing rides: the middleware records the entry after the handler.
 */
export async function auditRide(
  ctx: HasNote,
  target: { type: string; id: string },
): Promise<AuditRide | undefined> {
  return (await ctx.audit?.ride?.(target)) ?? undefined;
}

/** Names the entry's target when the route's path and answer do not. */
export function noteAuditTarget(ctx: HasNote, type: string, id: string): void {
  if (ctx.audit) ctx.audit.target = { type, id };
}

/** Values past this size (as JSON) are recorded by their size only: a log, not a copy. */
const MAX_VALUE_CHARS = 2000;
function bounded(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  const size = JSON.stringify(v).length;
  return size > MAX_VALUE_CHARS ? `(${size} characters)` : v;
}

/**
 * The fields of `after` that differ from `before` (compared as JSON), as audit changes. `secret`:
 * fields whose values are never written, only that they changed.
 */
export function diffForAudit(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
  secret: readonly string[] = [],
): AuditChanges {
  const out: AuditChanges = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of keys) {
    const [b, a] = [before?.[k], after?.[k]];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    out[k] = secret.includes(k)
      ? {
          before: b === undefined ? undefined : "(set)",
          after: a === undefined ? undefined : "(set)",
        }
      : { before: bounded(b), after: bounded(a) };
  }
  return out;
}

/** Fields that may hold a credential (MCP env and headers, generated secrets): "(set)" only. */
const OPAQUE = new Set([
  "env",
  "env_vars",
  "headers",
  "secret",
  "credentials",
  "generated_credentials",
  "key",
  "value",
  "token",
]);
/** Fields every write changes, which say nothing of what changed. */
const BOOKKEEPING = /^(uid|id|created|updated|last_updated|last_updated_by|creator)$|_at$/;

/** An item's fields, nested objects flattened to dotted names (`config.setup_commands`). */
function fieldsOf(item: unknown, prefix = "", out: Record<string, unknown> = {}) {
  if (!item || typeof item !== "object") return prefix ? out : undefined;
  for (const [k, v] of Object.entries(item)) {
    if (BOOKKEEPING.test(k)) continue;
    const name = `${prefix}${k}`;
    if (OPAQUE.has(k)) out[name] = v == null ? v : "(set)";
    else if (v && typeof v === "object" && !Array.isArray(v)) fieldsOf(v, `${name}.`, out);
    else out[name] = v;
  }
  return out;
}

/** What a write changed in an item, from its wire form before and after (either may be absent). */
export const itemAuditDiff = (before: unknown, after: unknown): AuditChanges =>
  diffForAudit(fieldsOf(before), fieldsOf(after));

/**
 * Runs a write between a read of its item and notes the fields it changed: `read` the item
 * before (omit for a create), `write` answers the item after (a delete: anything, ignored).
 */
export async function auditedWrite<T>(
  ctx: HasNote,
  read: (() => Promise<unknown>) | undefined,
  write: () => Promise<T>,
  opts: { deletes?: boolean } = {},
): Promise<T> {
  const before = read && ctx.audit ? await read() : undefined;
  const after = await write();
  noteAuditChanges(ctx, itemAuditDiff(before, opts.deletes ? undefined : after));
  return after;
}
