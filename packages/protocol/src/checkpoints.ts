import { z } from "zod";

// A run's checkpoint: what git needs to restore its repositories (one bundle each) plus the
// harness's conversation, in one archive the runner uploads and the platform keeps in R2
// (docs/runs.md, "Checkpoints"). The archive is one header line of JSON, then the sections' bytes
// in the header's order; the platform reads the header only.

/** Largest checkpoint the platform takes (the upload route's body limit). */
export const MAX_CHECKPOINT_BYTES = 50 * 1024 * 1024;
/** Largest header line of an archive. */
export const MAX_CHECKPOINT_HEADER_BYTES = 64 * 1024;
const MAGIC = "AMBITCP1 ";

export const CheckpointReason = z
  .enum(["turn", "interval", "cancelled", "timeout", "drain", "ended"])
  .describe(
    "turn: the agent finished a turn; interval: a periodic checkpoint while it works; cancelled, timeout, drain: the run was stopped; ended: the execution ended",
  );
export type CheckpointReason = z.infer<typeof CheckpointReason>;

const Sha = z.string().regex(/^[0-9a-f]{40,64}$/);

export const CheckpointRepo = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .describe("the repository's directory in the workspace; `.` is the workspace itself"),
  base: Sha.nullable().describe("the commit the run started from (null: none)"),
  head: Sha.describe("the agent's HEAD when the checkpoint was taken"),
  snapshot: Sha.describe(
    "a commit over `head` holding the uncommitted changes too (untracked files included)",
  ),
  branch: z.string().max(255).nullable().describe("the branch HEAD was on (null: detached)"),
  bytes: z.number().int().nonnegative().describe("the size of the repository's git bundle"),
  excluded: z
    .array(z.string().max(1000))
    .max(100)
    .default([])
    .describe("files left out because they hold a secret value of the run"),
});
export type CheckpointRepo = z.infer<typeof CheckpointRepo>;

/** The header of a checkpoint archive: what it holds and where. */
export const CheckpointHeader = z.object({
  version: z.literal(1),
  reason: CheckpointReason,
  execution_id: z.number().int().positive(),
  created_at: z.string().datetime(),
  repos: z.array(CheckpointRepo).max(50),
  conversation: z
    .object({ harness: z.string().max(64), bytes: z.number().int().nonnegative() })
    .nullable()
    .describe("the harness's conversation state (JSON), after the bundles"),
});
export type CheckpointHeader = z.infer<typeof CheckpointHeader>;

/** A stored checkpoint, as the `checkpoint` event and the checkpoint routes describe it. */
export const CheckpointItem = z.object({
  checkpoint_id: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .describe("the SHA-256 of the archive's bytes"),
  size_bytes: z.number().int().nonnegative(),
  reason: CheckpointReason,
  execution_id: z.number().int().positive(),
  created_at: z.string().datetime(),
  repos: z.array(CheckpointRepo.pick({ name: true, base: true, head: true, branch: true })),
  has_conversation: z.boolean(),
  excluded: z.array(z.string()).default([]),
});
export type CheckpointItem = z.infer<typeof CheckpointItem>;

/** Where the next execution of a run starts from: its last checkpoint (a task_assignment field). */
export const ResumeFrom = z.object({
  checkpoint_id: z.string(),
  path: z.string().describe("GET it with the assignment's HOST token"),
  created_at: z.string(),
  reason: z.enum(["followup", "host_lost"]),
  execution_id: z.number().int().positive().describe("the execution that took the checkpoint"),
});
export type ResumeFrom = z.infer<typeof ResumeFrom>;

/** One archive: the header line, then the repositories' bundles and the conversation, in order. */
export function encodeCheckpoint(
  header: CheckpointHeader,
  bundles: Uint8Array[],
  conversation: Uint8Array | null,
): Uint8Array<ArrayBuffer> {
  const line = new TextEncoder().encode(`${MAGIC}${JSON.stringify(header)}\n`);
  const parts = [line, ...bundles, ...(conversation ? [conversation] : [])];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The header of an archive, or why it is not one. Reads the first line only. */
export function readCheckpointHeader(
  bytes: Uint8Array,
): { ok: true; header: CheckpointHeader; offset: number } | { ok: false; why: string } {
  const end = bytes.subarray(0, MAX_CHECKPOINT_HEADER_BYTES).indexOf(10);
  if (end < 0) return { ok: false, why: "it has no header line within its first 64 KiB" };
  const line = new TextDecoder().decode(bytes.subarray(0, end));
  if (!line.startsWith(MAGIC)) return { ok: false, why: "it does not begin with `AMBITCP1 `" };
  let json: unknown;
  try {
    json = JSON.parse(line.slice(MAGIC.length));
  } catch {
    return { ok: false, why: "its header is not JSON" };
  }
  const parsed = CheckpointHeader.safeParse(json);
  if (!parsed.success) return { ok: false, why: `its header is invalid: ${parsed.error.message}` };
  const h = parsed.data;
  const total = h.repos.reduce((n, r) => n + r.bytes, 0) + (h.conversation?.bytes ?? 0);
  if (end + 1 + total !== bytes.length)
    return { ok: false, why: "its sections do not add up to its size" };
  return { ok: true, header: h, offset: end + 1 };
}

/** The archive's sections: each repository's bundle (by name) and the conversation. */
export function decodeCheckpoint(bytes: Uint8Array) {
  const read = readCheckpointHeader(bytes);
  if (!read.ok) return read;
  let at = read.offset;
  const take = (n: number) => bytes.subarray(at, (at += n));
  const bundles = read.header.repos.map((r) => ({ repo: r, bundle: take(r.bytes) }));
  const conversation = read.header.conversation ? take(read.header.conversation.bytes) : null;
  return { ok: true as const, header: read.header, bundles, conversation };
}
