import { z } from "zod";
import { RunState, RunStatusMessage } from "./runs.ts";

export const EventActor = z.object({
  type: z.enum(["user", "service_account", "host", "system"]),
  id: z.string(),
});
export type EventActor = z.infer<typeof EventActor>;

/** Payloads of the run lifecycle events the platform itself writes. */
export const RunCreatedPayload = z.object({ state: RunState, status_message: RunStatusMessage.optional() });
export const RunStateChangedPayload = z.object({
  from: RunState,
  to: RunState,
  command: z.string(),
  status_message: RunStatusMessage.optional(),
});
export const RunCancelRequestedPayload = z.object({ state: RunState });

/** One entry of a run's append-only event log. `seq` starts at 1 and never skips. */
export const RunEvent = z.object({
  seq: z.number().int().positive(),
  type: z.string(),
  at: z.string(),
  actor: EventActor,
  payload: z.record(z.string(), z.unknown()),
});
export type RunEvent = z.infer<typeof RunEvent>;
