import { createHash } from "node:crypto";
import type { CheckpointReason, TaskAssignment } from "@ambit/protocol";
import type { Backend } from "../backends/types.ts";
import type { HarnessEvent } from "../harness/types.ts";
import { takeCheckpoint } from "./checkpoint.ts";

/** How often a working run is checkpointed when the host says nothing else (`--checkpoint-interval`). */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60_000;
/** Longest a checkpoint may take (git and the upload) before it is given up. */
const CHECKPOINT_TIMEOUT_MS = 120_000;

export type CheckpointerOptions = {
  assignment: TaskAssignment;
  baseUrl: string;
  workspace: string;
  repos: { dir: string; base?: string }[];
  backend: Backend;
  harness: string;
  /** every 0: only at turns and stops */
  intervalMs: number;
  allowLocal?: boolean;
  emit: (e: HarnessEvent) => void;
  log: (entry: Record<string, unknown>) => void;
};

/**
 * Checkpoints one execution of a run (checkpoint.ts) and uploads each to the platform with the
 * run's HOST token (`PUT /agent/runs/{id}/checkpoints/{sha-256}`), which records the `checkpoint`
 * event: every `intervalMs` while it works, and when the runner asks (a turn ended, the run was
 * stopped or ended). One at a time, in order; a failure is a warning in the run's events, never
 * the run's end.
 */
export class Checkpointer {
  private conversation: { harness: string; state: unknown } | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly opts: CheckpointerOptions;

  constructor(opts: CheckpointerOptions) {
    this.opts = opts;
  }

  /** The harness's conversation as it stands (its next checkpoint carries it). */
  saveConversation(state: unknown) {
    this.conversation = { harness: this.opts.harness, state };
  }

  start() {
    if (this.opts.intervalMs > 0)
      this.timer = setInterval(() => void this.take("interval"), this.opts.intervalMs).unref();
  }

  /** No more interval checkpoints; those asked for still run. */
  stop() {
    clearInterval(this.timer);
  }

  /** Takes and uploads a checkpoint after any in flight; resolves whether it was stored. */
  take(reason: CheckpointReason): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (reason !== "interval") this.stopped = reason !== "turn";
    const next = this.chain.then(() => this.takeNow(reason));
    this.chain = next.catch(() => {});
    return next;
  }

  private async takeNow(reason: CheckpointReason): Promise<boolean> {
    const { assignment: a } = this.opts;
    const signal = AbortSignal.timeout(CHECKPOINT_TIMEOUT_MS);
    try {
      const { bytes } = await takeCheckpoint({
        workspace: this.opts.workspace,
        repos: this.opts.repos,
        backend: this.opts.backend,
        executionId: a.execution_id,
        reason,
        secrets: [...a.secrets.map((s) => s.value), ...(a.gateway ? [a.gateway.token] : [])],
        conversation: this.conversation,
        allowLocal: this.opts.allowLocal,
        signal,
      });
      const id = createHash("sha256").update(bytes).digest("hex");
      const url = `${this.opts.baseUrl.replace(/\/$/, "")}/api/v1/agent/runs/${encodeURIComponent(a.run_id)}/checkpoints/${id}`;
      const res = await fetch(url, {
        method: "PUT",
        headers: {
          authorization: `Bearer ${a.session.token}`,
          "content-type": "application/octet-stream",
        },
        body: bytes,
        signal,
      });
      if (res.status === 201) {
        this.opts.log({ msg: "checkpoint stored", task_id: a.run_id, reason, bytes: bytes.length });
        return true;
      }
      const body = (await res.json().catch(() => ({}))) as { detail?: string };
      throw new Error(`the platform answered ${res.status}: ${body.detail ?? "no detail"}`);
    } catch (err) {
      this.opts.emit({
        type: "log",
        payload: {
          level: "warning",
          message: `A checkpoint of the workspace (${reason}) was not stored: ${(err as Error).message}. The run goes on; the next checkpoint tries again.`,
          source: "runner",
        },
      });
      return false;
    }
  }
}
