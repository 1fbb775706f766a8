import { z } from "zod";
import { boundedJson, EVENT_PAYLOAD_BOUNDS, unsafeLinkReason } from "./bounds.ts";
import { ArtifactType, RunState, RunStatusMessage } from "./runs.ts";
import { ErrorCode } from "./errors.ts";
import { ConfigChange } from "./agent-config.ts";
import { CheckpointItem } from "./checkpoints.ts";

export const EventActor = z.object({
  type: z
    .enum(["user", "service_account", "host", "system", "public"])
    .describe("public: someone watching through the run's public link"),
  id: z.string(),
});
export type EventActor = z.infer<typeof EventActor>;

/** Largest payload string kept in an event; longer text is cut with a marker (see `capPayload`). */
export const MAX_EVENT_TEXT = 64 * 1024;
export const TRUNCATION_MARKER = "…[truncated by Ambit: ";

const text = z.string();

/**
 * The payload of each event type. Lifecycle events are written by the platform; the others come
 * from the host running the run (or a local CLI run).
 */
export const EventPayloads = {
  "run.created": z.object({
    state: RunState,
    prompt: z.string().optional(),
    status_message: RunStatusMessage.optional(),
  }),
  "run.state_changed": z.object({
    from: RunState,
    to: RunState,
    command: z.string(),
    status_message: RunStatusMessage.optional(),
    execution_id: z.number().int().optional(),
  }),
  "run.cancel_requested": z.object({
    state: RunState,
    // set when a budget stopped the run (the gateway refused its model call)
    reason: z.literal("budget_exceeded").optional(),
    message: z.string().optional(),
  }),
  "run.waiting": z.object({ status_message: RunStatusMessage }),
  "agent.message": z.object({
    text,
    message_id: z.string().optional(),
    role: z.enum(["assistant", "system"]).default("assistant"),
  }),
  "agent.tool_call": z.object({
    call_id: z.string(),
    name: z.string(),
    category: z
      .enum([
        "command",
        "files",
        "search",
        "integration",
        "documents",
        "computer",
        "review",
        "skill",
      ])
      .optional(),
    input: z.record(z.string(), z.unknown()),
  }),
  "agent.tool_result": z.object({
    call_id: z.string(),
    name: z.string(),
    state: z.enum(["completed", "failed", "denied"]),
    output: z.record(z.string(), z.unknown()),
  }),
  "command.output": z.object({
    call_id: z.string().optional(),
    stream: z.enum(["stdout", "stderr"]),
    chunk: text,
  }),
  "artifact.created": z
    .object({ artifact_type: ArtifactType, data: z.record(z.string(), z.unknown()) })
    .superRefine((v, ctx) => {
      // the same rule as a reported artifact's url (safeLinkUrl): a viewer may open it as a link
      const url = v.data.url;
      const why =
        url === undefined
          ? null
          : typeof url === "string"
            ? unsafeLinkReason(url)
            : "must be a string";
      if (why) ctx.addIssue({ code: "custom", path: ["data", "url"], message: why });
    }),
  "followup.received": z.object({
    message: text,
    mode: z.enum(["normal", "plan", "orchestrate"]).optional(),
    execution_id: z.number().int(),
  }),
  usage: z.object({
    model_id: z.string().optional(),
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_read_tokens: z.number().int().nonnegative().optional(),
    cache_write_tokens: z.number().int().nonnegative().optional(),
    // the model gateway's (docs/gateway.md): written by the platform, one per model call
    provider: z.string().optional(),
    cost_usd: z.number().nonnegative().optional(),
    ttfb_ms: z.number().int().nonnegative().optional(),
    latency_ms: z.number().int().nonnegative().optional(),
    source: z
      .enum(["gateway", "harness"])
      .optional()
      .describe(
        "`gateway`: recorded by the platform (authoritative when the gateway serves the run)",
      ),
  }),
  "setup.step": z.object({
    phase: z.enum(["workspace", "clone", "setup_command", "env", "mcp", "harness"]),
    name: z.string(),
    status: z.enum(["started", "succeeded", "failed"]),
    duration_ms: z.number().int().nonnegative().optional(),
    exit_code: z.number().int().optional(),
    output_tail: text.optional(),
  }),
  error: z.object({
    message: text,
    error_code: ErrorCode.optional(),
    retryable: z.boolean().optional(),
  }),
  /** what an agent's own tooling reported along the way (a vendor CLI's retry, a warning): not an error */
  log: z.object({
    level: z.enum(["info", "warning"]),
    message: text,
    source: z.string().optional().describe("who said it: the vendor CLI (claude, codex, …)"),
  }),
  /** an execution was given no personal secrets (names and values are never in it) */
  "secrets.withheld": z.object({
    reason: z.enum(["started_by_other", "lower_role_change", "delegated_key"]),
    message: text,
    withheld: z
      .number()
      .int()
      .positive()
      .describe("how many personal secrets of the run's creator were held back"),
    started_by: EventActor.optional().describe("started_by_other: who started this execution"),
    changes: z
      .array(ConfigChange)
      .optional()
      .describe("lower_role_change: the pieces last written below the creator's role"),
  }),
  /** the platform stored a checkpoint of the run's workspace and conversation (docs/runs.md) */
  checkpoint: CheckpointItem,
} as const;

export type EventType = keyof typeof EventPayloads;
export const EVENT_TYPES = Object.keys(EventPayloads) as EventType[];
/** Events only the platform itself may write. */
export const LIFECYCLE_EVENT_TYPES: EventType[] = [
  "run.created",
  "run.state_changed",
  "run.cancel_requested",
  "run.waiting",
  "followup.received",
  "secrets.withheld",
  "checkpoint",
];

/** One entry of a run's append-only event log. `seq` starts at 1 and never skips. */
export const RunEvent = z.object({
  seq: z.number().int().positive(),
  type: z.string(),
  at: z.string(),
  actor: EventActor,
  execution_id: z.number().int().positive(),
  // `any`, not `unknown`: payloads cross Durable Object RPC, whose types refuse `unknown`
  payload: z.record(z.string(), z.any()),
});
export type RunEvent = z.infer<typeof RunEvent>;

/** An event as a producer submits it: the type and its payload, validated against `EventPayloads`. */
export const EventInput = z
  .object({
    type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
    payload: z.record(z.string(), z.unknown()).superRefine(boundedJson(EVENT_PAYLOAD_BOUNDS)),
  })
  .transform((v, ctx) => {
    const parsed = EventPayloads[v.type].safeParse(v.payload);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ ...issue, path: ["payload", ...issue.path] } as never);
      return z.NEVER;
    }
    return { type: v.type, payload: parsed.data as Record<string, unknown> };
  });
export type EventInput = z.output<typeof EventInput>;

/**
 * Cuts every string in `payload` longer than `max` characters, saying how much was dropped, and
 * every object or array nested deeper than the platform accepts (`EVENT_PAYLOAD_BOUNDS`), so the
 * walk never recurses past that depth (a tool's output may be nested arbitrarily deep).
 */
export function capPayload<T>(payload: T, max = MAX_EVENT_TEXT): { value: T; truncated: boolean } {
  let truncated = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === "string" && v.length > max) {
      truncated = true;
      return `${v.slice(0, max)}${TRUNCATION_MARKER}${v.length - max} more characters]`;
    }
    if (!v || typeof v !== "object") return v;
    if (depth > EVENT_PAYLOAD_BOUNDS.maxDepth) {
      truncated = true;
      return `${TRUNCATION_MARKER}nested more than ${EVENT_PAYLOAD_BOUNDS.maxDepth} levels]`;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, depth + 1)]));
  };
  const value = walk(payload, 1) as T;
  return { value, truncated };
}
