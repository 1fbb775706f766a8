// Create or edit a schedule: name, cron (its next five slots shown live in the chosen time zone,
// a wrong field explained), time zone, overlap policy and prompt. The API checks it all again.
import type { ScheduledAgentItem } from "@ambit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { NextSlots } from "./next-slots.tsx";

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function ScheduleForm({ current }: { current?: ScheduledAgentItem }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState(current?.name ?? "");
  const [cron, setCron] = useState(current?.cron_schedule ?? "0 9 * * 1-5");
  const [timezone, setTimezone] = useState(current?.timezone ?? browserZone());
  const [overlap, setOverlap] = useState(current?.overlap_policy ?? "skip");
  const [prompt, setPrompt] = useState(current?.prompt ?? "");
  const save = useMutation({
    mutationFn: async () => {
      const body = { name, cron_schedule: cron, timezone, overlap_policy: overlap, prompt };
      // a PUT replaces the schedule: keep what this form does not show
      return current
        ? client.agent.schedules.update(current.id, {
            ...body,
            enabled: current.enabled,
            agent_config: current.agent_config,
            metadata: current.metadata,
            mode: current.mode,
          })
        : client.agent.schedules.create(body);
    },
    onSuccess: async (s) => {
      await queryClient.invalidateQueries({ queryKey: ["schedules"] });
      await navigate({ to: "/schedules/$scheduleId", params: { scheduleId: s.id } });
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate();
  }
  return (
    <form className="new-run schedule-form" onSubmit={submit}>
      <label htmlFor="schedule-name">Name</label>
      <input id="schedule-name" required value={name} onChange={(e) => setName(e.target.value)} />
      <label htmlFor="schedule-cron">Cron (minute hour day-of-month month day-of-week)</label>
      <input
        id="schedule-cron"
        required
        value={cron}
        aria-describedby="cron-error"
        onChange={(e) => setCron(e.target.value)}
      />
      <label htmlFor="schedule-tz">Time zone</label>
      <input id="schedule-tz" value={timezone} onChange={(e) => setTimezone(e.target.value)} />
      <NextSlots cron={cron} timezone={timezone} />
      <label htmlFor="schedule-overlap">While the previous run is still going</label>
      <select
        id="schedule-overlap"
        value={overlap}
        onChange={(e) => setOverlap(e.target.value as typeof overlap)}
      >
        <option value="skip">Skip the slot</option>
        <option value="allow">Start another run</option>
        <option value="cancel_previous">Cancel the previous run</option>
      </select>
      <label htmlFor="schedule-prompt">Prompt</label>
      <textarea
        id="schedule-prompt"
        required
        rows={5}
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
      />
      <Problem error={save.error} what="The schedule was not saved" />
      <button type="submit" className="primary" disabled={save.isPending}>
        {save.isPending ? "Saving…" : current ? "Save schedule" : "Create schedule"}
      </button>
    </form>
  );
}
