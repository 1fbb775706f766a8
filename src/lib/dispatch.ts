import type { DispatchMessage } from "@ambit/protocol";
import { log } from "./log.ts";

/**
 * Sends a run's execution to the `RUNS` queue, whose consumer offers it to the run's HostPool:
 * a new run (createRun) and a reopened one (its session, after a follow-up). A failed send is
 * logged, not thrown: the run is committed, and the pool's line is idempotent, so offering it
 * later is safe, and the housekeeping does (services/runs/redispatch.ts: a REMOTE run QUEUED for
 * minutes that its pool does not have). `sessionOpen`: the run's session exists already, so the
 * consumer need not open it.
 */
export async function dispatchRun(
  env: Env,
  run: { runId: string; teamId: string; pool: string; executionId: number; sessionOpen?: boolean },
  requestId?: string,
) {
  const msg: DispatchMessage = {
    kind: "dispatch",
    run_id: run.runId,
    team_id: run.teamId,
    pool: run.pool,
    execution_id: run.executionId,
    ...(run.sessionOpen ? { session_open: true } : {}),
  };
  try {
    await env.RUNS.send(msg, { contentType: "json" });
  } catch (err) {
    log.error("dispatch send failed", {
      run_id: run.runId,
      execution_id: run.executionId,
      ...(requestId ? { request_id: requestId } : {}),
      error: err,
    });
  }
}
