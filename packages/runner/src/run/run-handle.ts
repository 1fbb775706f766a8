import { rmSync } from "node:fs";
import path from "node:path";
import type { ErrorCode, HostMessage, TaskAssignment } from "@ambit/protocol";
import type { Backend } from "../backends/types.ts";
import type { Harness, HarnessContext, HarnessEvent, HarnessOutcome } from "../harness/types.ts";
import { gatewayModel } from "./gateway-env.ts";
import type { Backoff } from "../net/reconnecting-socket.ts";
import { EventPipeline } from "../pipeline/events.ts";
import { FollowupQueue } from "../pipeline/followups.ts";
import { Redactor } from "../pipeline/redact.ts";
import { SessionClient } from "../pipeline/session-client.ts";
import { Checkpointer, DEFAULT_CHECKPOINT_INTERVAL_MS } from "./checkpointer.ts";
import { type Prepared, prepareRun } from "./prepare.ts";
import { fetchResumeArchive, type Resumed, resumeConversation, resumeWorkspace } from "./resume.ts";
import { stopReason } from "./stop-reason.ts";

/** How long a harness gets to return after its run was aborted before the runner reports anyway. */
const ABORT_GRACE_MS = 5_000;
/** How long the runner waits for the session to acknowledge every event before it ends the run. */
const SETTLE_MS = 30_000;

/** What ended a run, as the host reports it. */
export type Final =
  | { kind: "completed"; state: "SUCCEEDED" | "CANCELLED"; message: string }
  | {
      kind: "failed";
      state: "FAILED" | "ERROR" | "CANCELLED";
      message: string;
      error_code?: ErrorCode;
      retryable?: boolean;
      exit_code?: number;
    };

export type RunDeps = {
  baseUrl: string;
  workdir: string;
  /** an existing directory that IS the run's workspace (a LOCAL run): used as it is, never removed */
  workspace?: string;
  /** clone (and push to) local paths and file:// URLs too (`--allow-local-repos`) */
  allowLocalRepos?: boolean;
  /** a LOCAL run: variables of this process the agent gets too (`--env NAME`) */
  passEnv?: string[];
  /** how long the run waits for the session to acknowledge its last events (default 30 s) */
  settleMs?: number;
  /** how often a working run's workspace is checkpointed (default 5 min; 0: at turns and stops only) */
  checkpointIntervalMs?: number;
  makeBackend(a: TaskAssignment, workspace: string, env: Record<string, string>): Promise<Backend>;
  resolveHarness(type: string): Harness | null;
  /** a message to the pool (queued by the host while its socket is down) */
  send(msg: HostMessage): void;
  log(entry: Record<string, unknown>): void;
  /** after the harness finished: commit, push, open a PR, upload `artifacts/` (see artifacts.ts) */
  collectArtifacts?(input: {
    assignment: TaskAssignment;
    prepared: Prepared;
    emit: (e: HarnessEvent) => void;
    signal: AbortSignal;
    redact: (text: string) => string;
  }): Promise<unknown>;
  sessionBackoff?: Backoff;
  /** observed by benchmarks: the harness is about to start, `ms` after the assignment arrived */
  onHarnessStart?(runId: string, ms: number): void;
};

/**
 * One run on this host, from assignment to its final report: claim, prepare, start, harness,
 * artifacts, report. Events stream into the run's session through the redacting pipeline.
 */
export class RunHandle {
  readonly taskId: string;
  readonly executionId: number;
  /** task_started was sent: the run can no longer be handed back */
  started = false;
  readonly done: Promise<Final | null>;
  private abort = new AbortController();
  private cancelReason: string | null = null;
  private handedBack: string | null = null;
  private readonly followups = new FollowupQueue();
  private readonly redactor: Redactor;
  private session: SessionClient | null = null;
  private checkpointer: Checkpointer | null = null;
  private resumed: Resumed | null = null;
  private readonly assignedAt = performance.now();

  readonly assignment: TaskAssignment;
  private readonly deps: RunDeps;

  constructor(assignment: TaskAssignment, deps: RunDeps) {
    this.assignment = assignment;
    this.deps = deps;
    this.taskId = assignment.task_id;
    this.executionId = assignment.execution_id;
    // the gateway credential is a key like the others: it never shows in an event
    this.redactor = new Redactor([
      ...assignment.secrets,
      ...(assignment.gateway
        ? [{ name: "AMBIT_GATEWAY_TOKEN", value: assignment.gateway.token }]
        : []),
    ]);
    this.done = this.run().catch((err) => {
      deps.log({
        msg: "run crashed",
        task_id: this.taskId,
        error: this.redactor.text(String(err?.stack ?? err)),
      });
      return this.report({
        kind: "failed",
        state: "ERROR",
        message: `The host runner failed: ${this.redactor.text(String(err))}`,
        error_code: "internal_error",
        retryable: true,
      });
    });
  }

  /** The pool cancelled the run: stop everything it started. */
  cancel(reason: string) {
    if (this.cancelReason !== null) return;
    this.cancelReason = reason || "cancelled";
    this.abort.abort(new Error(this.cancelReason));
  }

  /** Drops the session connection as a network failure would (it reconnects and resends). */
  reconnectSession() {
    this.session?.reconnect();
  }

  /** Gives the run back to the pool if it has not started (drain); false once it has. */
  handBack(reason: string): boolean {
    if (this.started || this.handedBack !== null || this.cancelReason !== null) return false;
    this.handedBack = reason;
    this.abort.abort(new Error(reason));
    return true;
  }

  private async run(): Promise<Final | null> {
    const a = this.assignment;
    const type = a.task.agent_config.harness?.type ?? "ambit";
    const harness = this.deps.resolveHarness(type);
    if (!harness) {
      this.deps.send({
        type: "task_rejected",
        data: {
          task_id: a.task_id,
          execution_id: a.execution_id,
          reason: `this host has no '${type}' harness`,
        },
      });
      return null;
    }
    this.deps.send({
      type: "task_claimed",
      data: { task_id: a.task_id, execution_id: a.execution_id },
    });

    const session = (this.session = new SessionClient({
      baseUrl: this.deps.baseUrl,
      path: a.session.path,
      token: a.session.token,
      executionId: a.execution_id,
      onFollowup: (m) => this.followups.push(m),
      log: this.deps.log,
      backoff: this.deps.sessionBackoff,
    }));
    const pipeline = new EventPipeline(this.redactor, (e) => session.emit(e));
    const emit = (e: HarnessEvent) => pipeline.emit(e);
    const signal = this.abort.signal;
    const existing = this.deps.workspace !== undefined;
    const workspace =
      this.deps.workspace ?? path.join(this.deps.workdir, "runs", `${a.run_id}.${a.execution_id}`);
    if (!existing) rmSync(workspace, { recursive: true, force: true }); // left by a runner that died mid-run
    let backend: Backend | undefined;
    try {
      // a LOCAL run's workspace is the user's checkout: nothing is restored over it, but a
      // continued run's harness picks up its conversation
      const archive = await fetchResumeArchive(a, this.deps.baseUrl, emit, signal);
      if (existing && archive) this.resumed = resumeConversation(a, archive, emit);
      const prep = await prepareRun({
        assignment: a,
        workspace,
        existing,
        passEnv: this.deps.passEnv,
        allowLocalRepos: this.deps.allowLocalRepos,
        emit,
        signal,
        serverUrl: this.deps.baseUrl,
        makeBackend: (ws, env) => this.deps.makeBackend(a, ws, env),
        restore:
          !existing && archive
            ? async (ws, b) => {
                this.resumed = await resumeWorkspace({
                  assignment: a,
                  archive,
                  workspace: ws,
                  backend: b,
                  emit,
                  signal,
                });
              }
            : undefined,
      });
      backend = prep.ok ? prep.prepared.backend : prep.backend;
      if (this.handedBack !== null) return this.handBackNow();
      if (signal.aborted) return await this.end(pipeline, this.cancelled());
      if (!prep.ok) {
        const f = prep.failure;
        emit({
          type: "error",
          payload: { message: f.message, error_code: "environment_setup_failed", retryable: false },
        });
        return await this.end(pipeline, {
          kind: "failed",
          state: "FAILED",
          message: this.redactor.text(f.message),
          error_code: "environment_setup_failed",
          ...(f.exitCode !== null ? { exit_code: f.exitCode } : {}),
        });
      }
      this.started = true;
      this.deps.send({
        type: "task_started",
        data: { task_id: a.task_id, execution_id: a.execution_id },
      });
      this.deps.onHarnessStart?.(a.run_id, performance.now() - this.assignedAt);
      // the follow-ups sent before this host attached (the one that started this execution among
      // them) are in the harness's queue before its first step
      await session.caughtUp();
      const cp = (this.checkpointer = new Checkpointer({
        assignment: a,
        baseUrl: this.deps.baseUrl,
        workspace: prep.prepared.workspace,
        repos: prep.prepared.repos,
        backend: prep.prepared.backend,
        harness: harness.type,
        intervalMs: this.deps.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
        allowLocal: this.deps.allowLocalRepos,
        emit,
        log: this.deps.log,
      }));
      cp.start();
      const final = await this.runHarness(harness, prep.prepared, emit);
      cp.stop();
      // what the agent left, before the artifacts step commits it to the run's branch
      if (final.state !== "CANCELLED") await cp.take("ended");
      if (final.state !== "CANCELLED" && this.deps.collectArtifacts) {
        try {
          await this.deps.collectArtifacts({
            assignment: a,
            prepared: prep.prepared,
            emit,
            signal,
            redact: (s) => this.redactor.text(s),
          });
        } catch (err) {
          emit({
            type: "error",
            payload: {
              message: `Collecting the run's artifacts failed: ${String(err)}`,
              retryable: true,
            },
          });
        }
      }
      return await this.end(pipeline, final);
    } finally {
      await backend?.dispose().catch(() => {});
      session.close();
      if (!existing) rmSync(workspace, { recursive: true, force: true });
    }
  }

  private async runHarness(
    harness: Harness,
    prepared: Prepared,
    emit: (e: HarnessEvent) => void,
  ): Promise<Final> {
    const a = this.assignment;
    const signal = this.abort.signal;
    const ctx: HarnessContext = {
      runId: a.run_id,
      prompt: a.task.prompt,
      config: a.task.agent_config,
      model: gatewayModel(a, this.deps.baseUrl),
      workspace: prepared.workspace,
      env: prepared.env,
      backend: prepared.backend,
      // the gateway records every model call (the run's `usage` events and its ledger): what a
      // harness or CLI says it used would count the same calls twice
      emit: a.gateway ? (e) => e.type !== "usage" && emit(e) : emit,
      followups: this.followups,
      askUser: (question, s) => this.askUser(question, emit, s),
      signal,
      resume: this.resumed,
      saveConversation: (state) => this.checkpointer?.saveConversation(state),
      checkpoint: (reason) => void this.checkpointer?.take(reason),
    };
    const running = harness.run(ctx).then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ error }),
    );
    const aborted = new Promise<"aborted">((resolve) => {
      if (signal.aborted) resolve("aborted");
      else signal.addEventListener("abort", () => resolve("aborted"), { once: true });
    });
    const first = await Promise.race([running, aborted]);
    if (first === "aborted") {
      // what the agent did so far is kept before its processes (and the backend) go
      this.checkpointer?.stop();
      await this.checkpointer?.take(stopReason(this.cancelReason));
      // the harness's processes die with their trees whether or not it honours the signal
      await prepared.backend.dispose();
      await Promise.race([running, new Promise((r) => setTimeout(r, ABORT_GRACE_MS).unref())]);
      return this.cancelled();
    }
    if ("error" in first) {
      const message = `The ${harness.type} harness failed: ${first.error instanceof Error ? first.error.message : String(first.error)}`;
      emit({ type: "error", payload: { message, error_code: "internal_error", retryable: true } });
      return {
        kind: "failed",
        state: "ERROR",
        message,
        error_code: "internal_error",
        retryable: true,
      };
    }
    return finalOf(first.outcome);
  }

  private async askUser(
    question: string,
    emit: (e: HarnessEvent) => void,
    signal?: AbortSignal,
  ): Promise<string> {
    const a = this.assignment;
    // an answer that is already here needs no BLOCKED round trip
    if (this.followups.size) return this.followups.next();
    emit({ type: "agent.message", payload: { text: question, role: "assistant" } });
    this.deps.send({
      type: "task_blocked",
      data: {
        task_id: a.task_id,
        execution_id: a.execution_id,
        question: this.redactor.text(question).slice(0, 10_000),
      },
    });
    const answer = await this.followups.next(
      signal ? AbortSignal.any([signal, this.abort.signal]) : this.abort.signal,
    );
    // the follow-up normally unblocked the run already; this covers one that raced the block
    this.deps.send({
      type: "task_unblocked",
      data: { task_id: a.task_id, execution_id: a.execution_id },
    });
    return answer;
  }

  private cancelled(): Final {
    return {
      kind: "completed",
      state: "CANCELLED",
      message: `Cancelled on the host: ${this.cancelReason ?? "stopped"}; its processes were killed`,
    };
  }

  private handBackNow(): null {
    this.deps.send({
      type: "task_rejected",
      data: {
        task_id: this.taskId,
        execution_id: this.executionId,
        reason: this.handedBack ?? "handed back",
      },
    });
    return null;
  }

  /** Sends what is left of the events, waits for the session to take them, then reports. */
  private async end(pipeline: EventPipeline, final: Final): Promise<Final> {
    pipeline.flush();
    const settled = await this.session!.settled(this.deps.settleMs ?? SETTLE_MS);
    if (!settled)
      this.deps.log({
        msg: "events not acknowledged before the run ended",
        task_id: this.taskId,
        backlog: this.session!.backlog,
      });
    return this.report(final);
  }

  private report(final: Final): Final {
    const ref = { task_id: this.taskId, execution_id: this.executionId };
    const message = this.redactor.text(final.message).slice(0, 10_000);
    if (final.kind === "completed")
      this.deps.send({
        type: "task_completed",
        data: { ...ref, message, task_state: final.state },
      });
    else {
      const { kind: _k, message: _m, ...rest } = final;
      this.deps.send({
        type: "task_failed",
        data: { ...ref, ...rest, message, task_state: final.state },
      });
    }
    return final;
  }
}

function finalOf(o: HarnessOutcome): Final {
  if (o.state === "SUCCEEDED") return { kind: "completed", state: "SUCCEEDED", message: o.message };
  if (o.state === "CANCELLED") return { kind: "completed", state: "CANCELLED", message: o.message };
  return {
    kind: "failed",
    state: "FAILED",
    message: o.message,
    ...(o.error_code ? { error_code: o.error_code } : {}),
  };
}
