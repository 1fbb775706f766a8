import type { EventActor, RunState, RunStatusMessage } from "@ambit/protocol";
import type { Starter } from "../../src/lib/personal-secrets.ts";
import type { DispatchRow } from "./summary.ts";

// What the session's RPC methods take and answer. Refusals are values, never thrown: a thrown
// error loses its code across Durable Object RPC.

/** Identifies the run a call is about; the team is checked against the stored run. */
export type RunRef = { runId: string; teamId: string };

export type RunInit = RunRef & {
  state: RunState;
  createdAt: number;
  statusMessage: RunStatusMessage | null;
  actor: EventActor;
  prompt?: string;
  /** the HostPool the run is dispatched through (default: the platform pool) */
  pool?: string;
};

export type Refusal = {
  ok: false;
  code: "invalid_request" | "resource_not_found" | "not_authorized";
  message: string;
};

/** Where the run stands after a call: its state, the seq of the call's event, its execution. */
export type Position = { ok: true; state: RunState; seq: number; execution_id: number };

export type SessionResult =
  | (Position & {
      /**
       * with `dispatch` only: who started this execution (whose personal secrets it may get,
       * src/lib/personal-secrets.ts)
       */
      started_by?: Starter;
    })
  | Refusal;

/** Where a LOCAL run stands for the CLI that holds it (its lease just renewed if it is active). */
export type LeaseResult =
  | {
      ok: true;
      state: RunState;
      execution_id: number;
      cancel_requested: boolean;
      lease_ms: number;
    }
  | Refusal;

/**
 * The answer to a holder's report (`report`): where the run stands once the report is applied,
 * and whether a stop was asked of it (a LOCAL run's CLI learns of a cancel from this). A report
 * that changes nothing (a resend, a run that already ended) is still `ok`, with the run as it is.
 */
export type ReportResult = (Position & { cancel_requested: boolean }) | Refusal;

export type AppendResult =
  | { ok: true; seqs: number[]; refused: { host_seq: number; reason: string }[] }
  | Refusal;

/** The answer to a pool watching a run's deadline: when to ask again (null: no more). */
export type DeadlineWatch = { ok: true; next: number | null } | Refusal;

export type CommandOptions = {
  /** the team's maximum run time, given with `dispatch` */
  maxRunMs?: number;
  /** the run's D1 row as the pool just read it: a session that was never opened starts from it */
  row?: DispatchRow;
};

/** Whose standing changed: every connection of a principal, or every one made with one API key. */
export type StandingChange = { principalId: string } | { keyId: string };

export const notFound = (ref: RunRef): Refusal => ({
  ok: false,
  code: "resource_not_found",
  message: `run ${ref.runId} was not found`,
});
