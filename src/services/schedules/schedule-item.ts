import type {
  AmbientAgentConfig,
  OverlapPolicy,
  ScheduledAgentItem,
  UserProfile,
} from "@ambit/protocol";
import type { schedules } from "../../db/schema.ts";
import { iso, isoOrNull } from "../../lib/time.ts";

export type ScheduleRow = typeof schedules.$inferSelect;
export type Person = { displayName: string | null; email: string | null } | null;

/** A principal as a response shows it (Oz `UserProfile`), with the name and email known of them. */
export const profile = (
  type: "user" | "service_account",
  uid: string,
  who: Person,
): UserProfile => ({
  type,
  uid,
  ...(who?.displayName ? { display_name: who.displayName } : {}),
  ...(who?.email ? { email: who.email } : {}),
});

/** The one place that decides what of a schedule row is public (Oz `ScheduledAgentItem`). */
export function toScheduledAgentItem(
  row: ScheduleRow,
  owner: Person,
  editor: Person,
): ScheduledAgentItem {
  return {
    id: row.id,
    name: row.name,
    cron_schedule: row.cronSchedule,
    enabled: row.enabled,
    prompt: row.prompt,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
    ...(row.mode ? { mode: row.mode as ScheduledAgentItem["mode"] } : {}),
    last_spawn_error: row.lastSpawnError,
    agent_config: (row.agentConfig ?? {}) as AmbientAgentConfig,
    ...(row.metadata ? { metadata: row.metadata as Record<string, string> } : {}),
    created_by: profile(row.ownerType, row.ownerId, owner),
    updated_by: profile(row.updatedByType, row.updatedById, editor),
    history: {
      last_ran: isoOrNull(row.lastRan),
      next_run: row.enabled ? isoOrNull(row.nextRun) : null,
      last_run_id: row.lastRunId,
      last_skipped_at: isoOrNull(row.lastSkippedAt),
      last_skip_reason: row.lastSkipReason,
    },
    scope:
      row.scope === "Team" ? { type: "Team", uid: row.teamId } : { type: "User", uid: row.ownerId },
    timezone: row.timezone,
    overlap_policy: row.overlapPolicy as OverlapPolicy,
  };
}
