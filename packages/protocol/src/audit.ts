import { z } from "zod";
import { PageInfo, Timestamp } from "./common.ts";

// The audit log: one hash chain of entries per team (docs/audit.md). The hash covers exactly the
// fields of `AuditEntry` except `hash` itself, so anyone holding an export can re-compute it.

export const AuditActorType = z.enum([
  "member",
  "key",
  "host",
  "integration",
  "schedule",
  "platform",
]);
export type AuditActorType = z.infer<typeof AuditActorType>;

/** One changed field: its value before and after (a secret's NAME, never its value). */
export const AuditChange = z.object({
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type AuditChange = z.infer<typeof AuditChange>;

export const AuditEntry = z.object({
  id: z.string(),
  team_id: z.string(),
  seq: z.number().int().min(1).describe("1, 2, 3… per team, without gaps"),
  at: Timestamp,
  actor: z.object({
    type: AuditActorType,
    id: z.string(),
    name: z.string().nullable().describe("a display name as it was at the time"),
    member_id: z
      .string()
      .nullable()
      .describe("the member or service account a key or session acts for"),
  }),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  action: z.string().describe("`noun.verb`, e.g. `run.create`, `api_key.revoke`"),
  target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
  changes: z.record(z.string(), AuditChange).nullable(),
  prev_hash: z.string().describe("the previous entry's hash; 64 zeros before the first"),
  hash: z.string().describe("hex SHA-256 of the entry's canonical JSON without `hash`"),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** `prev_hash` of a team's first entry. */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

export const ListAuditLogQuery = z.object({
  actor: z.string().max(200).optional().describe("an actor id, or the member a key acts for"),
  action: z
    .string()
    .max(100)
    .optional()
    .describe("an action (`member.update`), or a prefix ending in `.` (`member.`)"),
  target: z.string().max(200).optional().describe("a target id"),
  from: z.iso.datetime({ offset: true }).optional().describe("entries at or after this time"),
  to: z.iso.datetime({ offset: true }).optional().describe("entries before this time"),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional().describe("default 50"),
});
export type ListAuditLogQuery = z.infer<typeof ListAuditLogQuery>;

export const ListAuditLogResponse = z.object({
  entries: z.array(AuditEntry).describe("newest first"),
  page_info: PageInfo,
});
export type ListAuditLogResponse = z.infer<typeof ListAuditLogResponse>;

/**
 * The canonical encoding an entry's hash covers: JSON of every field but `hash`, object keys
 * sorted (by UTF-16 code unit, as `Array.prototype.sort` does) at every depth, no whitespace,
 * absent values as `null`. For the strings, integers and plain objects entries hold this is
 * RFC 8785 (JCS).
 */
export function canonicalAuditJson(entry: Omit<AuditEntry, "hash"> & { hash?: string }): string {
  const { hash: _hash, ...rest } = entry;
  return canonical(rest);
}

function canonical(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Hex SHA-256 of the entry's canonical encoding (WebCrypto: the Worker, Node and browsers). */
export async function auditEntryHash(entry: Omit<AuditEntry, "hash">): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalAuditJson(entry));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Where a chain first breaks, as `verifyAuditChain` reports it. */
export type AuditChainBreak = { seq: number; id: string; problem: string };

/**
 * Checks entries in seq order (one team's, from any seq on): each hash re-computed, each
 * `prev_hash` the previous entry's hash, seqs without gaps. Answers the first break, or null.
 */
export async function verifyAuditChain(
  entries: Iterable<AuditEntry> | AsyncIterable<AuditEntry>,
): Promise<{ count: number; last?: AuditEntry; broken: AuditChainBreak | null }> {
  let prev: AuditEntry | undefined;
  let count = 0;
  for await (const e of entries) {
    const at = (problem: string) => ({
      count,
      last: prev,
      broken: { seq: e.seq, id: e.id, problem },
    });
    if (prev && e.team_id !== prev.team_id)
      return at(`team_id ${e.team_id} is not ${prev.team_id}`);
    if (prev && e.seq !== prev.seq + 1) return at(`seq follows ${prev.seq}: entries are missing`);
    if (!prev && e.seq === 1 && e.prev_hash !== AUDIT_GENESIS_HASH)
      return at("the first entry's prev_hash is not the genesis hash (64 zeros)");
    if (prev && e.prev_hash !== prev.hash)
      return at(`prev_hash ${e.prev_hash} is not the hash of entry ${prev.seq} (${prev.hash})`);
    const computed = await auditEntryHash(e);
    if (computed !== e.hash)
      return at(`hash ${e.hash} does not match its content (re-computed ${computed}): edited`);
    prev = e;
    count++;
  }
  return { count, last: prev, broken: null };
}
