import { z } from "zod";
import { AgentConfigInput, AmbientAgentConfig, RunMetadata } from "./agent-config.ts";
import { Scope, Timestamp, UserProfile } from "./common.ts";
import { AgentRunMode } from "./runs.ts";

/** What a slot does while the previous run of the same schedule is still active (Ambit extension). */
export const OverlapPolicy = z
  .enum(["skip", "allow", "cancel_previous"])
  .describe(
    "skip (default): do not start while the previous run is active; allow: start anyway; cancel_previous: cancel it, then start",
  );
export type OverlapPolicy = z.infer<typeof OverlapPolicy>;

/** Metadata keys the platform stamps on scheduled runs; schedules may not set them. */
export const SCHEDULE_METADATA_PREFIX = "ambit.";

const Name = z.string().trim().min(1, "name may not be empty").max(200);
const CronSchedule = z
  .string()
  .trim()
  .min(1, "cron_schedule may not be empty")
  .max(200)
  .describe(
    "5-field cron expression: minute hour day-of-month month day-of-week (UTC unless timezone is set)",
  );
const Timezone = z
  .string()
  .min(1)
  .max(100)
  .describe(
    "IANA time zone the cron is read in, e.g. Europe/Berlin (Ambit extension; default UTC)",
  );
const ScheduleMetadata = RunMetadata.refine(
  (m) => !Object.keys(m).some((k) => k.startsWith(SCHEDULE_METADATA_PREFIX)),
  `metadata keys starting with '${SCHEDULE_METADATA_PREFIX}' are reserved for the platform`,
);

const needsPromptOrSkill = (
  v: { prompt?: string; agent_config?: AmbientAgentConfig },
  ctx: z.RefinementCtx,
) => {
  const hasSkill = !!(v.agent_config?.skill_spec || v.agent_config?.skills?.length);
  if (!v.prompt?.trim() && !hasSkill)
    ctx.addIssue({
      code: "custom",
      path: ["prompt"],
      message: "prompt is required unless agent_config.skill_spec or agent_config.skills is set",
    });
};

const fields = {
  name: Name,
  cron_schedule: CronSchedule,
  prompt: z.string().max(100_000).optional(),
  mode: AgentRunMode.optional(),
  agent_uid: z.string().max(200).optional(),
  agent_config: AgentConfigInput.optional(),
  metadata: ScheduleMetadata.optional().describe("stamped on every run the schedule starts"),
  timezone: Timezone.optional(),
  overlap_policy: OverlapPolicy.optional(),
};

/** Body of `POST /agent/schedules` (Oz `CreateScheduledAgentRequest` + timezone, overlap_policy). */
export const CreateScheduledAgentRequest = z
  .object({
    ...fields,
    enabled: z.boolean().optional().describe("default true"),
    team: z
      .boolean()
      .optional()
      .describe("false: a personal schedule, visible only to its owner, whose runs are personal"),
  })
  .superRefine(needsPromptOrSkill);
export type CreateScheduledAgentRequest = z.infer<typeof CreateScheduledAgentRequest>;

/**
 * Body of `PUT /agent/schedules/{id}`: a full replacement (omitted `metadata`, `agent_config`, `mode`
 * clear them). The Ambit extensions `timezone` and `overlap_policy` keep their value when omitted,
 * because Oz clients do not know them.
 */
export const UpdateScheduledAgentRequest = z
  .object({ ...fields, enabled: z.boolean() })
  .superRefine(needsPromptOrSkill);
export type UpdateScheduledAgentRequest = z.infer<typeof UpdateScheduledAgentRequest>;

export const ScheduledAgentHistory = z.object({
  last_ran: Timestamp.nullable().optional().describe("slot of the last run the schedule started"),
  next_run: Timestamp.nullable().optional().describe("the next slot; null while paused"),
  last_run_id: z.string().nullable().optional().describe("Ambit extension: the last run started"),
  last_skipped_at: Timestamp.nullable()
    .optional()
    .describe("Ambit extension: the last slot not started, and why"),
  last_skip_reason: z.string().nullable().optional(),
});

/** Oz `ScheduledAgentItem` (+ timezone, overlap_policy). */
export const ScheduledAgentItem = z.object({
  id: z.string(),
  name: z.string(),
  cron_schedule: z.string(),
  enabled: z.boolean(),
  prompt: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
  mode: AgentRunMode.optional(),
  last_spawn_error: z.string().nullable().optional(),
  agent_config: AmbientAgentConfig.optional(),
  metadata: RunMetadata.optional(),
  created_by: UserProfile.optional(),
  updated_by: UserProfile.optional().describe(
    "who last changed what the schedule runs (created, replaced it with PUT, or resumed it; a pause does not count): its runs act as them, with their current role and personal secrets",
  ),
  history: ScheduledAgentHistory.optional(),
  scope: Scope.optional(),
  timezone: z.string(),
  overlap_policy: OverlapPolicy,
});
export type ScheduledAgentItem = z.infer<typeof ScheduledAgentItem>;

export const ListScheduledAgentsResponse = z.object({ schedules: z.array(ScheduledAgentItem) });
export const DeleteScheduledAgentResponse = z.object({ success: z.boolean() });

/** Message on the `SCHEDULES` queue: start the run of one claimed slot. */
export const ScheduleSpawnMessage = z.object({
  kind: z.literal("spawn"),
  schedule_id: z.string(),
  team_id: z.string(),
  /** the slot being started (ms) */
  slot: z.number().int(),
  /** the Cron Trigger tick that claimed it (ms) */
  tick: z.number().int(),
  /** slots skipped before this one because the platform did not tick (downtime) */
  missed: z.number().int().min(0),
});
export type ScheduleSpawnMessage = z.infer<typeof ScheduleSpawnMessage>;
