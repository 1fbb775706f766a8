import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AmbientAgentConfig, AssignedModel } from "@ambit/protocol";
import { EventInput } from "@ambit/protocol";
import { processBackend } from "../../../packages/runner/src/backends/process.ts";
import type { HarnessContext, HarnessEvent } from "../../../packages/runner/src/harness/types.ts";

export const FAKES = path.resolve(import.meta.dirname, "../../fakes");

/**
 * A real HarnessContext for tests: a temp workspace, the process backend, a follow-up queue the
 * test can feed, and `askUser` that waits for the next follow-up (as the runner does). Every event
 * is validated against the protocol's payload schemas on the way in.
 */
export function makeContext(opts: {
  prompt: string;
  config?: AmbientAgentConfig;
  model?: AssignedModel | null;
  env?: Record<string, string>;
  path?: string[];
}) {
  const workspace = mkdtempSync(path.join(tmpdir(), "ambit-harness-"));
  const home = mkdtempSync(path.join(tmpdir(), "ambit-home-"));
  const env = { PATH: [...(opts.path ?? []), process.env.PATH].join(":"), HOME: home, ...opts.env };
  const backend = processBackend(workspace, env);
  const events: HarnessEvent[] = [];
  const queue: string[] = [];
  const waiters: ((m: string) => void)[] = [];
  const questions: string[] = [];
  const abort = new AbortController();
  const onQuestion: ((q: string) => void)[] = [];

  const followups = {
    drain: () => queue.splice(0),
    next: (signal?: AbortSignal) =>
      queue.length
        ? Promise.resolve(queue.shift()!)
        : new Promise<string>((resolve, reject) => {
            waiters.push(resolve);
            signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
          }),
  };
  const ctx: HarnessContext = {
    runId: "run_test",
    prompt: opts.prompt,
    config: opts.config ?? {},
    model: opts.model ?? null,
    workspace,
    env,
    backend,
    emit(event) {
      const parsed = EventInput.safeParse(event);
      if (!parsed.success) throw new Error(`invalid ${event.type} event: ${parsed.error.message}`);
      events.push(event);
    },
    followups,
    async askUser(question, signal) {
      questions.push(question);
      for (const f of onQuestion) f(question);
      return followups.next(signal);
    },
    signal: abort.signal,
  };
  return {
    ctx,
    events,
    questions,
    workspace,
    /** a scratch directory outside the workspace (the run's HOME), removed with it */
    home,
    /** a person sends a follow-up to the run */
    followup(message: string) {
      const w = waiters.shift();
      if (w) w(message);
      else queue.push(message);
    },
    onQuestion: (f: (q: string) => void) => onQuestion.push(f),
    cancel: (reason = "cancelled by a test") => abort.abort(new Error(reason)),
    of: (type: string) =>
      events.filter((e) => e.type === type).map((e) => e.payload as Record<string, any>),
    async dispose() {
      await backend.dispose();
      rmSync(workspace, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Whether a process is running (a zombie waiting for its reaper counts as gone). */
export function alive(pid: number) {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
