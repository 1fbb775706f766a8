import type {
  CreateScheduledAgentRequest,
  ScheduledAgentItem,
  UpdateScheduledAgentRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type ScheduleCreateParams = z.input<typeof CreateScheduledAgentRequest>;
export type ScheduleUpdateParams = z.input<typeof UpdateScheduledAgentRequest>;

/** `client.agent.schedules`: agents started on a cron (Oz schedules, plus `timezone` and `overlap_policy`). */
export class Schedules extends APIResource {
  /**
   * Creates a schedule; its first run starts at the next slot.
   *
   * @example
   * const s = await client.agent.schedules.create({ name: "nightly deps", cron_schedule: "0 3 * * *", prompt: "Upgrade dependencies", timezone: "Europe/Berlin" });
   */
  create(body: ScheduleCreateParams, options?: RequestOptions) {
    return this._client.post<ScheduledAgentItem>("/agent/schedules", { body, ...options });
  }

  /**
   * The team's schedules and your personal ones, sorted by name.
   *
   * @example
   * const { schedules } = await client.agent.schedules.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ schedules: ScheduledAgentItem[] }>("/agent/schedules", options);
  }

  /** @example const s = await client.agent.schedules.retrieve(id); console.log(s.history.next_run); */
  retrieve(id: string, options?: RequestOptions) {
    return this._client.get<ScheduledAgentItem>(path`/agent/schedules/${id}`, options);
  }

  /**
   * Replaces a schedule (omitted `metadata`, `agent_config` and `mode` are cleared; `timezone` and
   * `overlap_policy` keep their value when omitted).
   *
   * @example
   * await client.agent.schedules.update(id, { ...current, cron_schedule: "0 4 * * *", enabled: true });
   */
  update(id: string, body: ScheduleUpdateParams, options?: RequestOptions) {
    return this._client.put<ScheduledAgentItem>(path`/agent/schedules/${id}`, { body, ...options });
  }

  /** @example await client.agent.schedules.delete(id); */
  delete(id: string, options?: RequestOptions) {
    return this._client.delete<{ success: boolean }>(path`/agent/schedules/${id}`, options);
  }

  /** Stops starting runs until resumed. @example await client.agent.schedules.pause(id); */
  pause(id: string, options?: RequestOptions) {
    return this._client.post<ScheduledAgentItem>(path`/agent/schedules/${id}/pause`, options);
  }

  /** Starts runs again from the next slot (missed slots are not replayed). @example await client.agent.schedules.resume(id); */
  resume(id: string, options?: RequestOptions) {
    return this._client.post<ScheduledAgentItem>(path`/agent/schedules/${id}/resume`, options);
  }
}
