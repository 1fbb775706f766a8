import { z } from "zod";
import { ResumeFrom } from "./checkpoints.ts";
import { AmbientAgentConfig } from "./agent-config.ts";
import { ErrorCode } from "./errors.ts";

/** Message on the `RUNS` queue: offer this execution of a run to its pool. */
export const DispatchMessage = z.object({
  kind: z.literal("dispatch"),
  run_id: z.string(),
  team_id: z.string(),
  pool: z.string(),
  execution_id: z.number().int().positive(),
  /** the run's RunSession exists already (a follow-up's new execution): the pool tells it why the
   * run waits; otherwise those messages go to the run's D1 row until a session opens (see HostPool.watch) */
  session_open: z.boolean().optional(),
});
export type DispatchMessage = z.infer<typeof DispatchMessage>;

/** The pool of hosts a run goes to: its `worker_host`, or the team's platform pool. */
export const PLATFORM_POOL = "warp";
export const poolOf = (workerHost: string | null | undefined) =>
  !workerHost || workerHost === PLATFORM_POOL ? PLATFORM_POOL : workerHost;

const envelope = <T extends string, D extends z.ZodTypeAny>(type: T, data: D) =>
  z.object({ type: z.literal(type), data });

const TaskRef = z.object({
  task_id: z.string(),
  execution_id: z.number().int().positive().optional(),
});

/**
 * A vendor agent CLI installed on a host (`claude`, `codex`, `gemini`, `opencode`): the version its
 * `--version` printed, against the one the runner's harness for it is tested with.
 */
export const HostCli = z.object({
  name: z.string().max(50),
  version: z.string().max(100),
  tested: z.string().max(100).describe("the version the runner's harness is tested with"),
  in_tested_range: z
    .boolean()
    .describe(
      "false: another minor than the tested one; runs with this CLI's harness may fail on changed flags or output",
    ),
});
export type HostCli = z.infer<typeof HostCli>;

/** Messages a host sends on its pool socket. */
export const HostMessage = z.discriminatedUnion("type", [
  envelope(
    "hello",
    z.object({
      capacity: z.number().int().min(0).max(1000),
      labels: z.array(z.string().max(100)).max(50).default([]),
      version: z.string().max(100).optional(),
      clis: z
        .array(HostCli)
        .max(10)
        .default([])
        .describe("the vendor agent CLIs the host found at start, with their versions"),
      running: z
        .array(TaskRef)
        .max(1000)
        .default([])
        .describe("runs this host still holds (after a reconnect)"),
    }),
  ),
  envelope("task_claimed", TaskRef.extend({ worker_id: z.string().optional() })),
  envelope("task_started", TaskRef),
  envelope("task_rejected", TaskRef.extend({ reason: z.string().max(2000).default("rejected") })),
  envelope(
    "task_completed",
    TaskRef.extend({
      message: z.string().max(10_000).default(""),
      task_state: z.enum(["SUCCEEDED", "CANCELLED"]).optional(),
    }),
  ),
  envelope(
    "task_failed",
    TaskRef.extend({
      message: z.string().max(10_000),
      error_code: ErrorCode.optional(),
      retryable: z.boolean().optional(),
      exit_code: z.number().int().optional(),
      task_state: z.enum(["FAILED", "ERROR", "CANCELLED"]).optional(),
    }),
  ),
  envelope(
    "task_blocked",
    TaskRef.extend({
      question: z
        .string()
        .min(1)
        .max(10_000)
        .describe("what the agent asks; the run is BLOCKED until a follow-up answers it"),
    }),
  ),
  envelope(
    "task_unblocked",
    TaskRef.describe(
      "the harness continues (a follow-up answered it); a no-op when the follow-up already unblocked the run",
    ),
  ),
  envelope(
    "heartbeat",
    z.object({ running: z.array(z.string()).max(1000).default([]) }).default({ running: [] }),
  ),
]);
export type HostMessage = z.infer<typeof HostMessage>;

/** The environment a run is prepared in, resolved by the platform and sent with the assignment. */
export const AssignedEnvironment = z.object({
  uid: z.string(),
  name: z.string(),
  docker_image: z.string().nullable().optional(),
  repositories: z
    .array(
      z.object({
        url: z.string().describe("any git URL, `owner/repo` (GitHub), or a local path"),
        ref: z
          .string()
          .optional()
          .describe("branch, tag or commit; the default branch when absent"),
      }),
    )
    .default([]),
  setup_commands: z.array(z.string()).default([]),
  env_vars: z.record(z.string(), z.string()).default({}),
});
export type AssignedEnvironment = z.infer<typeof AssignedEnvironment>;

/** A secret opened for one run: injected as the environment variable `name`, redacted from every event. */
export const AssignedSecret = z.object({
  name: z.string(),
  value: z.string(),
  type: z.string().optional(),
});
export type AssignedSecret = z.infer<typeof AssignedSecret>;

/** A model of the team's catalog, resolved for the run: which API to speak, where, and which secret holds the key. */
export const AssignedModel = z.object({
  id: z.string().describe("the catalog id the run asked for (`agent_config.model_id`)"),
  provider: z
    .enum(["openai", "anthropic"])
    .describe("`openai`: any OpenAI-compatible chat-completions server"),
  model: z.string().describe("the model name sent to the provider"),
  base_url: z.string().nullable().optional(),
  api_key_secret: z
    .string()
    .nullable()
    .optional()
    .describe("name of the secret (in `secrets`) holding the API key"),
});
export type AssignedModel = z.infer<typeof AssignedModel>;

/** The platform's model gateway, as a run's holder is given it (docs/gateway.md). */
export const AssignedGateway = z.object({
  path: z
    .string()
    .describe(
      "the gateway's root on the server the holder connected to; each provider's API is under it: `<path>/anthropic`, `<path>/openai/v1`, `<path>/gemini`",
    ),
  token: z
    .string()
    .describe(
      "the run's gateway credential, the model key of every client: it calls the gateway for this execution while it is held, and nothing else",
    ),
});
export type AssignedGateway = z.infer<typeof AssignedGateway>;

export const TaskAssignment = z.object({
  task_id: z.string(),
  run_id: z.string(),
  execution_id: z.number().int(),
  task: z.object({
    id: z.string(),
    title: z.string(),
    prompt: z.string(),
    created_at: z.string(),
    agent_config: AmbientAgentConfig,
    team_id: z.string(),
  }),
  session: z.object({
    path: z.string(),
    token: z.string().describe("HOST attach token for the run's session socket"),
  }),
  env_vars: z.record(z.string(), z.string()),
  environment: AssignedEnvironment.nullable().optional(),
  model: AssignedModel.nullable()
    .optional()
    .describe("set when the team's model catalog lists `agent_config.model_id`"),
  secrets: z
    .array(AssignedSecret)
    .default([])
    .describe("opened only for this assignment; never logged"),
  gateway: AssignedGateway.nullable()
    .optional()
    .describe(
      "set when the platform's model gateway serves the run: its model calls go there with `token` as the API key, and `secrets` hold no model key",
    ),
  resume: ResumeFrom.nullable()
    .optional()
    .describe(
      "set when this execution starts from the run's last checkpoint (a follow-up on an ended run, or a run whose host was lost): restore its repositories and conversation first",
    ),
});
export type TaskAssignment = z.infer<typeof TaskAssignment>;

/** Messages the pool sends to a host. */
export const ServerHostMessage = z.discriminatedUnion("type", [
  envelope(
    "welcome",
    z.object({
      worker_id: z.string(),
      connection_id: z.string(),
      heartbeat_interval_ms: z.number().int(),
    }),
  ),
  envelope("task_assignment", TaskAssignment),
  envelope("task_cancellation", z.object({ task_id: z.string(), reason: z.string().optional() })),
  envelope("error", z.object({ code: z.string(), message: z.string() })),
]);
export type ServerHostMessage = z.infer<typeof ServerHostMessage>;

export const ConnectedSelfHostedWorker = z.object({
  worker_host: z.string(),
  connection_count: z.number().int(),
  connected_at: z.string(),
  last_seen_at: z.string(),
});

export const HostInfo = z.object({
  worker_id: z.string(),
  connection_id: z.string(),
  capacity: z.number().int(),
  running: z.array(z.string()),
  labels: z.array(z.string()),
  version: z.string().nullable(),
  clis: z
    .array(HostCli)
    .describe("the vendor agent CLIs the host has, each flagged when outside the tested range"),
  connected_at: z.string(),
  last_seen_at: z.string(),
});
export type HostInfo = z.infer<typeof HostInfo>;
