// Create or edit a schedule: name, cron (its next five slots shown live in the chosen time zone,
// a wrong field explained), time zone, overlap policy, prompt, and the model, environment and host
// pool its runs use (picked from their lists). The API checks it all again.
import type { ScheduledAgentItem } from "@ambit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { Choice } from "../components/choice.tsx";
import { Problem } from "../components/problem.tsx";
import { canWrite, client } from "../lib/api.ts";
import { type Choices, teamDefault, useChoices, useDefaultModel } from "../lib/choices.ts";
import { useMe } from "../lib/me.ts";
import { NextSlots } from "./next-slots.tsx";

/** The `agent_config` keys this form edits; every other key of it is kept as it is. */
type Picked = { model_id: string; environment_id: string; worker_host: string };
type AgentConfig = NonNullable<ScheduledAgentItem["agent_config"]>;

/** `config` with the picked keys set, or removed when left empty; undefined when nothing is left. */
function withPicked(config: AgentConfig | undefined, picked: Picked): AgentConfig | undefined {
  const next: Record<string, unknown> = { ...config };
  for (const [k, v] of Object.entries(picked)) {
    if (v) next[k] = v;
    else delete next[k];
  }
  return Object.keys(next).length ? (next as AgentConfig) : undefined;
}

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export function ScheduleForm({ current }: { current?: ScheduledAgentItem }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState(current?.name ?? "");
  const [cron, setCron] = useState(current?.cron_schedule ?? "0 9 * * 1-5");
  const [timezone, setTimezone] = useState(current?.timezone ?? browserZone());
  const [overlap, setOverlap] = useState(current?.overlap_policy ?? "skip");
  const [prompt, setPrompt] = useState(current?.prompt ?? "");
  const config = current?.agent_config;
  const [picked, setPicked] = useState<Picked>({
    model_id: config?.model_id ?? "",
    environment_id: config?.environment_id ?? "",
    worker_host: config?.worker_host ?? "",
  });
  const pick = (k: keyof Picked) => (e: { target: { value: string } }) =>
    setPicked((v) => ({ ...v, [k]: e.target.value }));
  const defaultModel = useDefaultModel();
  const pickers: Array<[keyof Picked, string, string, Choices, string]> = [
    ["model_id", "schedule-model", "Model", useChoices("models"), teamDefault(defaultModel)],
    [
      "environment_id",
      "schedule-environment",
      "Environment",
      useChoices("environments"),
      "No environment",
    ],
    ["worker_host", "schedule-pool", "Host pool", useChoices("pools"), "Platform pool"],
  ];
  const save = useMutation({
    mutationFn: async () => {
      const agent_config = withPicked(config, picked);
      const body = {
        name,
        cron_schedule: cron,
        timezone,
        overlap_policy: overlap,
        prompt,
        ...(agent_config && { agent_config }),
      };
      // a PUT replaces the schedule: keep what this form does not show
      return current
        ? client.agent.schedules.update(current.id, {
            ...body,
            enabled: current.enabled,
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
  const me = useMe();
  // asked for by URL (/schedules/new, …/edit): a viewer gets no form, the API would refuse it
  if (!canWrite(me.data))
    return (
      <p role="alert" className="problem">
        Your role ({me.data?.role}) may read schedules but not change them.
      </p>
    );
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
      <div className="grid">
        {pickers.map(([key, id, label, list, none]) => (
          <Choice
            key={key}
            id={id}
            label={label}
            value={picked[key]}
            onChange={pick(key)}
            {...list}
            none={none}
          />
        ))}
      </div>
      <Problem error={save.error} what="The schedule was not saved" />
      <button type="submit" className="primary" disabled={save.isPending}>
        {save.isPending ? "Saving…" : current ? "Save schedule" : "Create schedule"}
      </button>
    </form>
  );
}
