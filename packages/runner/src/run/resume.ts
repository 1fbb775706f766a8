import { decodeCheckpoint, type TaskAssignment } from "@ambit/protocol";
import type { Backend } from "../backends/types.ts";
import type { HarnessEvent } from "../harness/types.ts";
import { conversationOf, restoreCheckpoint } from "./restore.ts";

/** What an execution resumes from: the conversation its harness picks up (null: none saved). */
export type Resumed = {
  reason: NonNullable<TaskAssignment["resume"]>["reason"];
  checkpointAt: string;
  conversation: { harness: string; state: unknown } | null;
};

/**
 * Downloads the checkpoint an assignment resumes from (`assignment.resume`, with the run's HOST
 * token). Null when there is none; a download that fails is an `error` event and the execution
 * starts from a fresh workspace (it is not the run's end).
 */
export async function fetchResumeArchive(
  a: TaskAssignment,
  baseUrl: string,
  emit: (e: HarnessEvent) => void,
  signal: AbortSignal,
): Promise<Uint8Array | null> {
  if (!a.resume) return null;
  try {
    const res = await fetch(`${baseUrl.replace(/\/$/, "")}${a.resume.path}`, {
      headers: { authorization: `Bearer ${a.session.token}` },
      signal,
    });
    if (res.status !== 200) {
      const body = (await res.json().catch(() => ({}))) as { detail?: string };
      throw new Error(`the platform answered ${res.status}: ${body.detail ?? "no detail"}`);
    }
    return new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    emit({
      type: "error",
      payload: {
        message: `The run's last checkpoint (${a.resume.checkpoint_id}) could not be downloaded: ${(err as Error).message}; this execution starts from a fresh workspace`,
        retryable: false,
      },
    });
    return null;
  }
}

/**
 * Restores a downloaded checkpoint into the prepared workspace (restore.ts) as a `setup.step`
 * event of phase `workspace`, and says what the harness resumes.
 */
export async function resumeWorkspace(input: {
  assignment: TaskAssignment;
  archive: Uint8Array;
  workspace: string;
  backend: Backend;
  emit: (e: HarnessEvent) => void;
  signal: AbortSignal;
}): Promise<Resumed> {
  const r = input.assignment.resume!;
  const t0 = performance.now();
  const name = `restore checkpoint ${r.checkpoint_id.slice(0, 12)} (${r.created_at})`;
  input.emit({ type: "setup.step", payload: { phase: "workspace", name, status: "started" } });
  const done = await restoreCheckpoint(input);
  const failed = done.failed.map((f) => `${f.name}: ${f.why}`).join("\n");
  input.emit({
    type: "setup.step",
    payload: {
      phase: "workspace",
      name,
      status: failed ? "failed" : "succeeded",
      duration_ms: Math.round(performance.now() - t0),
      output_tail: failed || `restored ${done.restored.join(", ") || "nothing"}`,
    },
  });
  return { reason: r.reason, checkpointAt: r.created_at, conversation: done.conversation };
}

/**
 * What a LOCAL execution picks up from the run's checkpoint: the conversation only, since its
 * workspace is the user's checkout (`ambit run continue --local` checked the changes out there).
 * An unreadable checkpoint is an `error` event and the harness starts from the prompt.
 */
export function resumeConversation(
  a: TaskAssignment,
  archive: Uint8Array,
  emit: (e: HarnessEvent) => void,
): Resumed {
  const r = a.resume!;
  const decoded = decodeCheckpoint(archive);
  const talk = decoded.ok ? conversationOf(decoded) : "unreadable";
  if (talk === "unreadable")
    emit({
      type: "error",
      payload: {
        message: `The conversation of checkpoint ${r.checkpoint_id} is unreadable; the agent starts from the follow-up alone`,
        retryable: false,
      },
    });
  return {
    reason: r.reason,
    checkpointAt: r.created_at,
    conversation: talk === "unreadable" ? null : talk,
  };
}
