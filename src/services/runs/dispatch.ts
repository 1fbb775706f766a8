import { type DispatchMessage, poolOf } from "@ambit/protocol";
import { log } from "../../lib/log.ts";

/**
 * Sends a run's execution to the `RUNS` queue, whose consumer offers it to the run's HostPool.
 * A failed send is logged, not thrown: the run is committed, and the pool's line is idempotent,
 * so re-sending later (the next follow-up, or an operator) is always safe.
 */
export async function dispatchRun(
  env: Env,
  run: {
    runId: string;
    teamId: string;
    workerHost: string | null;
    executionId: number;
    sessionOpen?: boolean;
  },
  requestId: string,
) {
  const msg: DispatchMessage = {
    kind: "dispatch",
    run_id: run.runId,
    team_id: run.teamId,
    pool: poolOf(run.workerHost),
    execution_id: run.executionId,
    ...(run.sessionOpen ? { session_open: true } : {}),
  };
  try {
    await env.RUNS.send(msg, { contentType: "json" });
  } catch (err) {
    log.error("dispatch send failed", { run_id: run.runId, request_id: requestId, error: err });
  }
}
