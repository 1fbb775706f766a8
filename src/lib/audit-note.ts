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
};

type HasNote = { audit?: AuditNote };

/** Adds changed fields (`{role: {before: "member", after: "admin"}}`) to the request's entry. */
export function noteAuditChanges(ctx: HasNote, changes: AuditChanges): void {
  if (!ctx.audit) return;
  ctx.audit.changes = { ...ctx.audit.changes, ...changes };
}

/** Names the entry's target when the route's path and answer do not. */
export function noteAuditTarget(ctx: HasNote, type: string, id: string): void {
  if (ctx.audit) ctx.audit.target = { type, id };
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
      ? { before: b === undefined ? undefined : "(set)", after: a === undefined ? undefined : "(set)" }
      : { before: b ?? null, after: a ?? null };
  }
  return out;
}
