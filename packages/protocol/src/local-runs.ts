import { z } from "zod";
import { HostMessage, TaskAssignment } from "./hosts.ts";
import { RunState } from "./runs.ts";

/** The pool name of LOCAL runs: no host pool holds them, the creator's CLI does. */
export const LOCAL_POOL = "@local";

/**
 * Answer of `POST /agent/runs/{id}/local/claim`: what a host would get in its `task_assignment`
 * (frozen config, model, variables, the run's secrets, a HOST token for the session) plus the lease.
 */
export const LocalRunClaim = z.object({
  assignment: TaskAssignment,
  lease_ms: z
    .number()
    .int()
    .describe("the run ends ERROR when no report or heartbeat arrives for this long"),
  heartbeat_interval_ms: z
    .number()
    .int()
    .describe("how often the CLI should report (POST …/local/report with a heartbeat)"),
});
export type LocalRunClaim = z.infer<typeof LocalRunClaim>;

/** Body of `POST /agent/runs/{id}/local/report`: the host messages a run's holder sends, minus the pool-only ones. */
const REPORTED = [
  "task_started",
  "task_blocked",
  "task_unblocked",
  "task_completed",
  "task_failed",
  "heartbeat",
] as const;
const member = (type: (typeof REPORTED)[number]) =>
  HostMessage.options.find((o) => o.shape.type.value === type)!;
export const LocalRunReport = z.discriminatedUnion("type", [
  member(REPORTED[0]),
  ...REPORTED.slice(1).map(member),
]) as unknown as z.ZodType<Extract<HostMessage, { type: (typeof REPORTED)[number] }>>;
export type LocalRunReport = z.infer<typeof LocalRunReport>;

/** Answer of a report: where the run stands, and whether its holder must stop it. */
export const LocalRunStatus = z.object({
  run_id: z.string(),
  state: RunState,
  execution_id: z.number().int(),
  cancel_requested: z
    .boolean()
    .describe(
      "someone cancelled the run (or it passed its time limit): stop the agent and report CANCELLED",
    ),
  lease_ms: z.number().int(),
});
export type LocalRunStatus = z.infer<typeof LocalRunStatus>;
