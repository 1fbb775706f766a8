import { z } from "zod";
import { EventActor, MAX_EVENT_TEXT, RunEvent } from "./events.ts";
import { AgentRunMode, RunState } from "./runs.ts";

/** What an attached client may do: watch, watch and steer, or (the run's host) produce events. */
export const AccessLevel = z.enum(["VIEWER", "EDITOR", "HOST"]);
export type AccessLevel = z.infer<typeof AccessLevel>;

export const SessionTokenResponse = z.object({
  token: z
    .string()
    .describe("pass as ?token= to /session or /events; bound to this run and access level"),
  access: AccessLevel,
  expires_at: z.string(),
  session_url: z.string(),
  events_url: z.string(),
});

export const RunFollowupRequest = z.object({
  message: z
    .string()
    .trim()
    .min(1, "message may not be empty")
    .max(
      MAX_EVENT_TEXT,
      `message may be at most ${MAX_EVENT_TEXT} characters; put longer text in a file the agent can read`,
    ),
  mode: AgentRunMode.optional(),
});
export type RunFollowupRequest = z.infer<typeof RunFollowupRequest>;

/** An event a host submits: its own monotonically increasing `host_seq` makes resending safe. */
export const HostEventInput = z.object({
  host_seq: z.number().int().positive(),
  type: z.string(),
  payload: z.record(z.string(), z.any()),
});

const ref = z.string().max(100).optional().describe("echoed in the ack or error for this frame");

/** Frames a client sends on the session socket. */
export const ClientFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("followup"),
    ref,
    message: RunFollowupRequest.shape.message,
    mode: AgentRunMode.optional(),
  }),
  z.object({ type: z.literal("cancel"), ref }),
  z.object({ type: z.literal("ping"), ref }),
  z.object({ type: z.literal("append"), ref, events: z.array(HostEventInput).min(1).max(500) }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export const PresenceEntry = z.object({
  principal: EventActor,
  access: AccessLevel,
  connections: z.number().int(),
  name: z
    .string()
    .optional()
    .describe(
      "who it is, for people: a member's display name or email, a service account's key name; " +
        "never sent to the public link's viewers",
    ),
});

/** Frames the server sends on the session socket. */
export const ServerFrame = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("ready"),
    run_id: z.string(),
    state: RunState,
    last_seq: z.number().int(),
    access: AccessLevel,
    execution_id: z.number().int(),
  }),
  z.object({ type: z.literal("event"), event: RunEvent }),
  z.object({
    type: z.literal("events"),
    events: z
      .array(RunEvent)
      .describe("consecutive live events, in seq order, sent together under load"),
  }),
  z.object({ type: z.literal("presence"), attached: z.array(PresenceEntry) }),
  z.object({
    type: z.literal("ack"),
    ref,
    seqs: z.array(z.number().int()).optional(),
    refused: z.array(z.object({ host_seq: z.number().int(), reason: z.string() })).optional(),
  }),
  z.object({ type: z.literal("error"), ref, code: z.string(), message: z.string() }),
  z.object({ type: z.literal("pong"), ref }),
  z.object({
    type: z.literal("followup"),
    message: z.string(),
    mode: AgentRunMode.optional(),
    execution_id: z.number().int(),
  }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

const Block = z.record(z.string(), z.any());
/** Oz `ConversationResponse` (content blocks: text, action, action_result, event). */
export const ConversationResponse = z.object({
  conversation_id: z.string(),
  steps: z.array(
    z.object({
      id: z.string(),
      started_at: z.string().optional(),
      completed_at: z.string().optional(),
      messages: z.array(
        z.object({
          role: z.enum(["user", "assistant", "tool", "system"]),
          timestamp: z.string().optional(),
          content: z.array(Block),
        }),
      ),
      steps: z.array(z.any()),
    }),
  ),
});
/** Oz `GetRunTimelineResponse`. */
export const TimelineResponse = z.object({
  events: z.array(
    z.object({
      event_uuid: z.string(),
      run_id: z.string(),
      execution_id: z.number().int().optional(),
      event_type: z.string(),
      occurred_at: z.string(),
      payload: z.record(z.string(), z.any()).optional(),
    }),
  ),
});
