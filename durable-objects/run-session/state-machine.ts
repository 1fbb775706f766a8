import { isTerminal, RunState, TERMINAL_STATES } from "@ambit/protocol";

/** What can happen to a run. Each command moves it between states along the table below. */
export type RunCommand =
  | "dispatch" // offered to a host pool
  | "requeue" // handed back (host rejected it, lease lost before start)
  | "claim" // a host took it
  | "start" // the host began work
  | "block" // waiting for a person
  | "unblock" // a follow-up arrived
  | "succeed"
  | "fail" // user-caused failure
  | "error" // platform-caused failure
  | "cancel"
  | "reopen" // a follow-up on an ended run starts a new execution
  | "resume"; // its host was lost: a new execution from the run's last checkpoint

/** every state but the terminal ones (`TERMINAL_STATES`, from the protocol), in the protocol's order */
const ACTIVE: RunState[] = RunState.options.filter((s) => !isTerminal(s));

/** The one transition table: command → the states it may start from → the state it leads to. */
export const TRANSITIONS: Record<RunCommand, { from: RunState[]; to: RunState }> = {
  dispatch: { from: ["QUEUED"], to: "PENDING" },
  requeue: { from: ["PENDING", "CLAIMED"], to: "QUEUED" },
  claim: { from: ["PENDING"], to: "CLAIMED" },
  start: { from: ["CLAIMED"], to: "INPROGRESS" },
  block: { from: ["INPROGRESS"], to: "BLOCKED" },
  unblock: { from: ["BLOCKED"], to: "INPROGRESS" },
  succeed: { from: ["INPROGRESS", "BLOCKED"], to: "SUCCEEDED" },
  fail: { from: ["CLAIMED", "INPROGRESS", "BLOCKED"], to: "FAILED" },
  error: { from: ACTIVE, to: "ERROR" },
  cancel: { from: ACTIVE, to: "CANCELLED" },
  reopen: { from: [...TERMINAL_STATES], to: "QUEUED" },
  resume: { from: ["CLAIMED", "INPROGRESS", "BLOCKED"], to: "QUEUED" },
};

export type TransitionResult =
  | { ok: true; from: RunState; to: RunState }
  | { ok: false; from: RunState; reason: string };

/** Pure: where `command` takes a run in state `from`, or why it cannot. */
export function transition(from: RunState, command: RunCommand): TransitionResult {
  const rule = TRANSITIONS[command];
  if (rule.from.includes(from)) return { ok: true, from, to: rule.to };
  return {
    ok: false,
    from,
    reason:
      isTerminal(from) && command !== "reopen"
        ? `the run already ended (${from})`
        : `a run in state ${from} cannot ${command} (allowed from ${rule.from.join(", ")})`,
  };
}
