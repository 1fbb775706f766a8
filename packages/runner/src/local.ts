// A LOCAL run (`ambit agent run --local`): this machine holds a run its user created, the way a
// host holds an assigned one — the same RunHandle, harnesses, backend and event pipeline — but
// claimed and reported over the creator's REST endpoints instead of a pool socket.
import {
  type HostMessage,
  isTerminal,
  LocalRunClaim,
  LocalRunStatus,
  type LocalRunReport,
  type RunFollowupRequest,
} from "@ambit/protocol";
import { sweepPrivateDirs } from "./backends/private-dir.ts";
import { processBackend } from "./backends/process.ts";
import { createHarness } from "./harness/index.ts";
import type { Harness } from "./harness/types.ts";
import type { Backoff } from "./net/reconnecting-socket.ts";
import { type Final, RunHandle } from "./run/run-handle.ts";

const RETRY_MS = { initial: 250, max: 3_000 };
/** The session socket reconnects quickly: a local run's user is watching. */
const SESSION_BACKOFF: Backoff = { initialMs: 250, maxMs: 3_000 };

export type LocalRunOptions = {
  /** the platform, e.g. `http://localhost:8787` */
  url: string;
  apiKey: string;
  /** a LOCAL run the key created (POST /agent/runs with execution_location LOCAL) */
  runId: string;
  /**
   * Continue the key's ended run instead (`ambit run continue --local`): a new LOCAL execution
   * with this follow-up (POST …/local-executions), resuming the conversation of its checkpoint.
   */
  continueWith?: RunFollowupRequest;
  /** the directory the agent works in, as it is */
  dir: string;
  /**
   * Variables of this process the agent gets (`--env NAME`). Nothing else of the caller's shell
   * (its AMBIT_API_KEY, cloud credentials) reaches the agent: it gets a host's clean baseline and
   * the run's variables and secrets.
   */
  passEnv?: string[];
  /** harnesses by type (default: the built-in ones of createHarness) */
  harnesses?: Record<string, Harness>;
  log?: (entry: Record<string, unknown>) => void;
};

export type LocalRun = {
  /** the run's end as this machine saw it; `lost` when the platform stayed unreachable past the lease */
  done: Promise<{ final: Final | null; lost: boolean }>;
  /** stops the agent (its process trees are killed) and reports the run CANCELLED */
  cancel(reason: string): void;
};

/**
 * Claims a LOCAL run and runs it here: events stream into its session (buffered and resent across
 * network loss), state changes go as reports in order (retried until they land), a heartbeat keeps
 * the lease, and a cancel on the platform (a teammate, the time limit) stops the agent. When the
 * platform stays unreachable for longer than the lease, it has ended the run ERROR: the agent is
 * stopped and `lost` says so.
 */
export async function runLocal(opts: LocalRunOptions): Promise<LocalRun> {
  const base = opts.url.replace(/\/$/, "");
  const log = opts.log ?? (() => {});
  sweepPrivateDirs(); // what earlier runs on this machine left if they were killed outright
  const post = async (path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1/agent/runs/${encodeURIComponent(opts.runId)}/${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${opts.apiKey}`,
        "content-type": "application/json",
        "x-oz-api-source": "CLI",
      },
      body: JSON.stringify(body ?? {}),
    });
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 500);
      try {
        detail = JSON.parse(text).detail ?? detail;
      } catch {
        /* not a problem body */
      }
      throw Object.assign(new Error(`the platform refused ${path} (${res.status}): ${detail}`), {
        status: res.status,
      });
    }
    return JSON.parse(text) as unknown;
  };

  const claim = LocalRunClaim.parse(
    await (opts.continueWith ? post("local-executions", opts.continueWith) : post("local/claim")),
  );
  const reports: LocalRunReport[] = [];
  let lastHeard = Date.now();
  let lost = false;
  let pumping: Promise<void> | null = null;
  let handle: RunHandle;

  const onStatus = (status: LocalRunStatus) => {
    lastHeard = Date.now();
    if (status.cancel_requested) handle.cancel("cancelled on the platform");
    else if (isTerminal(status.state))
      handle.cancel(`the platform ended the run (${status.state})`);
  };

  /** Sends the reports in order, one at a time; a network failure or 5xx is retried until the lease is gone. */
  const pump = () =>
    (pumping ??= (async () => {
      let delay = RETRY_MS.initial;
      while (reports.length && !lost) {
        try {
          onStatus(LocalRunStatus.parse(await post("local/report", reports[0])));
          reports.shift();
          delay = RETRY_MS.initial;
        } catch (err) {
          const status = (err as { status?: number }).status;
          if (status !== undefined && status < 500) {
            log({ msg: "report refused; dropped", type: reports[0].type, error: String(err) });
            reports.shift();
            continue;
          }
          if (Date.now() - lastHeard > claim.lease_ms) {
            lost = true;
            handle.cancel(
              `the platform was unreachable for more than ${Math.round(claim.lease_ms / 1000)} s`,
            );
            break;
          }
          log({
            msg: "platform unreachable; retrying the report",
            type: reports[0].type,
            error: String(err),
          });
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(RETRY_MS.max, delay * 2);
        }
      }
    })().finally(() => {
      pumping = null;
      if (reports.length && !lost) void pump();
    }));

  const send = (msg: HostMessage) => {
    if (msg.type === "task_claimed" || msg.type === "hello") return; // claimed by POST …/local/claim
    const report: LocalRunReport =
      msg.type === "task_rejected"
        ? {
            type: "task_failed",
            data: {
              task_id: msg.data.task_id,
              message: `Not run on this machine: ${msg.data.reason}`,
              task_state: "FAILED",
              error_code: "invalid_request",
            },
          }
        : (msg as LocalRunReport);
    reports.push(report);
    void pump();
  };

  const heartbeat = setInterval(() => {
    if (!reports.length) send({ type: "heartbeat", data: { running: [opts.runId] } });
  }, claim.heartbeat_interval_ms);

  handle = new RunHandle(claim.assignment, {
    baseUrl: base,
    workdir: opts.dir,
    workspace: opts.dir,
    passEnv: opts.passEnv,
    makeBackend: async (_a, workspace, env) => processBackend(workspace, env),
    resolveHarness: (type) => opts.harnesses?.[type] ?? createHarness(type),
    send,
    log,
    sessionBackoff: SESSION_BACKOFF,
    // across a network loss the last events wait as long as the run itself would
    settleMs: claim.lease_ms,
  });

  const done = handle.done.then(async (final) => {
    // the final report must land (or the lease must lapse) before this process may exit
    while ((reports.length || pumping) && !lost) await (pumping ?? pump());
    clearInterval(heartbeat);
    return { final, lost };
  });
  return { done, cancel: (reason) => handle.cancel(reason) };
}
