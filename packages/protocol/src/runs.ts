import { z } from "zod";
import { RequestUsage } from "./usage.ts";
import { AgentConfigInput, AmbientAgentConfig, RunMetadata } from "./agent-config.ts";
import { PageInfo, Scope, Timestamp, UserProfile } from "./common.ts";
import { ErrorCode } from "./errors.ts";
import { RunSharing, RunSharingRequest } from "./sharing.ts";

export const RunState = z.enum([
  "QUEUED",
  "PENDING",
  "CLAIMED",
  "INPROGRESS",
  "SUCCEEDED",
  "FAILED",
  "BLOCKED",
  "ERROR",
  "CANCELLED",
]);
export type RunState = z.infer<typeof RunState>;
export const TERMINAL_STATES = [
  "SUCCEEDED",
  "FAILED",
  "ERROR",
  "CANCELLED",
] as const satisfies readonly RunState[];
export type TerminalState = (typeof TERMINAL_STATES)[number];
/** The states in which a run occupies one of its team's `max_concurrent_runs` slots (LOCAL runs use their creator's machine, not a slot). */
export const HELD_STATES = [
  "PENDING",
  "CLAIMED",
  "INPROGRESS",
  "BLOCKED",
] as const satisfies readonly RunState[];
/** Whether a run in this state has ended (`TERMINAL_STATES`); only a follow-up reopens it. */
export const isTerminal = (state: RunState) =>
  (TERMINAL_STATES as readonly RunState[]).includes(state);
/** Whether a run in this state holds one of its team's slots (`HELD_STATES`). */
export const isHeld = (state: RunState) => (HELD_STATES as readonly RunState[]).includes(state);

export const RunSourceType = z.enum([
  "LINEAR",
  "API",
  "SLACK",
  "LOCAL",
  "SCHEDULED_AGENT",
  "WEB_APP",
  "GITHUB_ACTION",
  "CLOUD_MODE",
  "CLI",
  "JIRA",
  "SELF_IMPROVEMENT",
  "GITHUB_WEBHOOK",
  "GITLAB_WEBHOOK",
  "AUTOFIX",
  "RUN_SCORER",
  "ORCHESTRATION",
]);
export type RunSourceType = z.infer<typeof RunSourceType>;

/** Sources a client may declare with `X-Oz-Api-Source`; the others are set by the platform itself. */
export const ClientRunSource = z.enum(
  ["API", "CLI", "WEB_APP", "GITHUB_ACTION", "LOCAL", "CLOUD_MODE"],
  {
    error:
      "a client may declare API, CLI, WEB_APP, GITHUB_ACTION, LOCAL or CLOUD_MODE (any case); " +
      "the platform sets the other sources itself. Omit the header for API",
  },
);
export type ClientRunSource = z.infer<typeof ClientRunSource>;

/** Headers of `POST /agent/runs`: `X-Oz-Api-Source` (Oz's header) says how the run was started. */
export const RunSourceHeaders = z.object({
  "x-oz-api-source": z
    .string()
    .trim()
    .toUpperCase()
    .pipe(ClientRunSource)
    .optional()
    .describe("the run's `source` (default API), e.g. CLI or GITHUB_ACTION"),
});

export const ExecutionLocation = z.enum(["LOCAL", "REMOTE"]);
export type ExecutionLocation = z.infer<typeof ExecutionLocation>;

export const AgentRunMode = z.enum(["normal", "plan", "orchestrate"]);
export const ArtifactType = z.enum([
  "PLAN",
  "PULL_REQUEST",
  "SCREENSHOT",
  "FILE",
  "EXTERNAL_REFERENCE",
]);
export type ArtifactType = z.infer<typeof ArtifactType>;

const ImageInput = z.object({
  file_name: z.string().min(1).optional(),
  mime_type: z.enum(["image/jpeg", "image/png", "image/gif", "image/webp"]),
  data: z.base64(),
});

/** Body of `POST /agent/runs` (and the legacy `POST /agent/run`). */
export const RunAgentRequest = z
  .object({
    prompt: z.string().max(100_000).optional(),
    mode: AgentRunMode.optional(),
    skill: z.string().max(500).optional(),
    config: AgentConfigInput.optional(),
    title: z.string().max(500).optional(),
    team: z.boolean().optional(),
    agent_identity_uid: z.string().optional(),
    on_behalf_of: z.string().optional(),
    conversation_id: z.string().optional(),
    attachments: z.array(ImageInput).max(5).optional(),
    images: z.array(ImageInput).max(5).optional().describe("legacy name of attachments"),
    parent_run_id: z.string().optional(),
    interactive: z.boolean().optional(),
    metadata: RunMetadata.optional(),
    saved_prompt: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe(
        "uid or name of a saved prompt (`/agent/prompts`); `prompt`, if given, is appended",
      ),
    execution_location: ExecutionLocation.optional().describe(
      "REMOTE (default): dispatched to a host. LOCAL: run by the caller's own machine (`ambit agent run --local`), which claims it with POST /agent/runs/{id}/local/claim",
    ),
    sharing: RunSharingRequest.optional().describe(
      "Ambit extension: who besides the creator sees and steers the run (team NONE|VIEWER|EDITOR, public NONE|VIEWER for a read-only link without a key); " +
        "defaults: team EDITOR for team runs, NONE for personal ones; config.session_sharing.public_access VIEWER means public VIEWER",
    ),
  })
  .superRefine((v, ctx) => {
    const hasSkill = !!(v.skill || v.config?.skill_spec || v.config?.skills?.length);
    if (
      !v.prompt?.trim() &&
      !hasSkill &&
      !v.conversation_id &&
      !v.saved_prompt &&
      !v.agent_identity_uid
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["prompt"],
        message:
          "prompt is required unless a skill, saved_prompt, agent_identity_uid or conversation_id is given",
      });
    }
  });
export type RunAgentRequest = z.infer<typeof RunAgentRequest>;

export const RunAgentResponse = z.object({
  run_id: z.string(),
  task_id: z.string().describe("deprecated: equal to run_id"),
  state: RunState,
  at_capacity: z.boolean().optional(),
  sharing: RunSharing.optional().describe(
    "Ambit extension: who can see the run, and its public link",
  ),
});
export type RunAgentResponse = z.infer<typeof RunAgentResponse>;

export const RunStatusMessage = z.object({
  message: z.string(),
  error_code: ErrorCode.optional(),
  retryable: z.boolean().optional(),
});
export type RunStatusMessage = z.infer<typeof RunStatusMessage>;

export const ScheduleInfo = z.object({
  schedule_id: z.string(),
  schedule_name: z.string(),
  cron_schedule: z.string(),
});
export type ScheduleInfo = z.infer<typeof ScheduleInfo>;

export const ArtifactItem = z.object({
  artifact_type: ArtifactType,
  created_at: Timestamp,
  data: z.record(z.string(), z.unknown()),
});
export type ArtifactItem = z.infer<typeof ArtifactItem>;

export const RunItem = z.object({
  run_id: z.string(),
  task_id: z.string().describe("deprecated: equal to run_id"),
  title: z.string(),
  state: RunState,
  prompt: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  started_at: Timestamp.nullable().optional(),
  run_time: z.string().optional().describe("ISO-8601 duration from start to end (or now)"),
  execution_location: ExecutionLocation.optional(),
  status_message: RunStatusMessage.optional(),
  source: RunSourceType.optional(),
  schedule: ScheduleInfo.optional(),
  session_id: z.string().optional(),
  session_link: z.string().optional(),
  trigger_url: z
    .string()
    .optional()
    .describe("where the run came from (an issue, a pull request, a webhook's thread)"),
  creator: UserProfile.optional(),
  executor: UserProfile.optional().describe(
    "the named agent the run executes as (`agent_identity_uid`)",
  ),
  agent_config: AmbientAgentConfig.optional(),
  conversation_id: z.string().optional(),
  parent_run_id: z.string().optional(),
  metadata: RunMetadata.optional(),
  is_sandbox_running: z.boolean().optional(),
  is_run_type_cancellable: z.boolean().optional(),
  artifacts: z.array(ArtifactItem).optional(),
  request_usage: RequestUsage.optional().describe(
    "what the run's model calls through the gateway used and cost (docs/gateway.md)",
  ),
  scope: Scope.optional(),
  sharing: RunSharing.optional().describe(
    "Ambit extension: who besides the creator sees and steers the run (change it with PATCH /agent/runs/{id}/sharing)",
  ),
});
export type RunItem = z.infer<typeof RunItem>;

export const ListRunsResponse = z.object({ runs: z.array(RunItem), page_info: PageInfo });
export type ListRunsResponse = z.infer<typeof ListRunsResponse>;

/** Legacy `TaskItem` of `/agent/tasks`. */
export const TaskItem = z.object({
  task_id: z.string(),
  title: z.string(),
  prompt: z.string(),
  state: RunState,
  created_at: Timestamp,
  updated_at: Timestamp,
  agent_config: AmbientAgentConfig.optional(),
  creator: z.object({ type: z.string().optional(), uid: z.string().optional() }).optional(),
  session_id: z.string().optional(),
  session_link: z.string().optional(),
  source: RunSourceType.optional(),
  status_message: z.object({ message: z.string() }).optional(),
});
export type TaskItem = z.infer<typeof TaskItem>;

export const ListTasksResponse = z.object({ tasks: z.array(TaskItem), page_info: PageInfo });

export const RunSortBy = z.enum(["updated_at", "created_at", "title"]);
export const SortOrder = z.enum(["asc", "desc"]);

const oneOrMany = <T extends z.ZodTypeAny>(t: T) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]),
    z.array(t).optional(),
  );

const rfc3339 = z.iso.datetime({
  offset: true,
  message: "use an RFC 3339 timestamp such as 2026-01-31T12:00:00Z",
});

/** Query of `GET /agent/runs`; `metadata[key]=value` pairs arrive separately (see `parseMetadataFilter`). */
export const ListRunsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(20),
  cursor: z.string().max(2000).optional(),
  sort_by: RunSortBy.default("updated_at"),
  sort_order: SortOrder.default("desc"),
  state: oneOrMany(RunState),
  source: RunSourceType.optional(),
  execution_location: ExecutionLocation.optional(),
  creator: z.string().max(200).optional(),
  name: z.string().max(200).optional(),
  config_name: z.string().max(200).optional().describe("legacy alias of name"),
  model_id: z.string().max(200).optional(),
  environment_id: z
    .string()
    .max(200)
    .optional()
    .describe("`empty-environment` selects runs without one"),
  schedule_id: z.string().max(200).optional(),
  skill: z.string().max(500).optional(),
  skill_spec: z.string().max(500).optional(),
  artifact_type: ArtifactType.optional(),
  created_after: rfc3339.optional(),
  created_before: rfc3339.optional(),
  updated_after: rfc3339.optional(),
  q: z.string().max(200).optional(),
});
export type ListRunsQuery = z.infer<typeof ListRunsQuery>;
