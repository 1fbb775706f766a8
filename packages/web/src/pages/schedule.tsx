// One schedule: what it runs and when (its next five slots), pause, resume, edit, delete (after a
// confirmation), and the runs it started. A viewer sees it all and changes nothing.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { ConfirmButton } from "../components/confirm-button.tsx";
import { DetailList } from "../components/detail-list.tsx";
import { Problem } from "../components/problem.tsx";
import { canWrite, client } from "../lib/api.ts";
import { formatTime, personName } from "../lib/format.ts";
import { labelOf, useChoices } from "../lib/choices.ts";
import { useMe } from "../lib/me.ts";
import { RunsTable } from "../run/runs-table.tsx";
import { slotText } from "../schedules/cron-preview.ts";
import { NextSlots } from "../schedules/next-slots.tsx";
import { ScheduleForm } from "../schedules/schedule-form.tsx";

const useSchedule = (id: string) =>
  useQuery({
    queryKey: ["schedules", id],
    queryFn: async () => client.agent.schedules.retrieve(id),
  });

export function SchedulePage() {
  const { scheduleId } = useParams({ from: "/app/schedules/$scheduleId" });
  const me = useMe();
  const schedule = useSchedule(scheduleId);
  const runs = useQuery({
    queryKey: ["schedule-runs", scheduleId],
    queryFn: async () =>
      (await client.agent.runs.list({ schedule_id: scheduleId, limit: 50 })).runs,
  });
  const environments = useChoices("environments");
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: async (pause: boolean) =>
      pause ? client.agent.schedules.pause(scheduleId) : client.agent.schedules.resume(scheduleId),
    onSuccess: (s) => queryClient.setQueryData(["schedules", scheduleId], s),
  });
  if (schedule.error) return <Problem error={schedule.error} what="Could not load the schedule" />;
  const s = schedule.data;
  if (!s) return <p>Loading…</p>;
  const mayWrite = canWrite(me.data);
  return (
    <>
      <div className="page-head">
        <h1>{s.name}</h1>
        {mayWrite && (
          <div className="run-actions">
            <button
              type="button"
              disabled={toggle.isPending}
              onClick={() => toggle.mutate(s.enabled)}
            >
              {s.enabled ? "Pause" : "Resume"}
            </button>
            <Link to="/schedules/$scheduleId/edit" params={{ scheduleId }} className="button">
              Edit
            </Link>
            <DeleteSchedule id={scheduleId} />
          </div>
        )}
      </div>
      <Problem error={toggle.error} what="The schedule was not changed" />
      <section className="run-header" aria-label="Schedule details">
        <DetailList
          rows={[
            ["Status", s.enabled ? "Active" : "Paused"],
            ["Cron", `${s.cron_schedule} (${s.timezone})`],
            [
              "Next run",
              !s.enabled
                ? "Paused"
                : s.history?.next_run
                  ? slotText(new Date(s.history.next_run), s.timezone)
                  : "—",
            ],
            ["Last ran", formatTime(s.history?.last_ran)],
            ["Runs as", personName(s.updated_by)],
            ["Overlap", s.overlap_policy],
            ["Model", s.agent_config?.model_id ?? "team default"],
            ["Environment", labelOf(environments.options, s.agent_config?.environment_id)],
            ["Host pool", s.agent_config?.worker_host ?? "platform"],
          ]}
        />
      </section>
      {s.last_spawn_error && <p className="problem">Last start failed: {s.last_spawn_error}</p>}
      {s.enabled && <NextSlots cron={s.cron_schedule} timezone={s.timezone} />}
      <h2>Prompt</h2>
      <pre className="prompt">{s.prompt}</pre>
      <h2>Runs</h2>
      <Problem error={runs.error} what="Could not list its runs" />
      {runs.data?.length === 0 && <p>No runs yet.</p>}
      {!!runs.data?.length && <RunsTable runs={runs.data} />}
    </>
  );
}

function DeleteSchedule({ id }: { id: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return (
    <ConfirmButton
      label="Delete"
      title="Delete this schedule?"
      keep="Keep it"
      confirm="Yes, delete it"
      pending="Deleting…"
      what="The schedule was not deleted"
      action={async () => client.agent.schedules.delete(id)}
      onDone={async () => {
        await navigate({ to: "/schedules" });
        // forget it rather than read it again (a 404)
        queryClient.removeQueries({ queryKey: ["schedules", id] });
        await queryClient.invalidateQueries({ queryKey: ["schedules"], exact: true });
      }}
    >
      <p>It starts no more runs. The runs it started stay.</p>
    </ConfirmButton>
  );
}

export function NewSchedulePage() {
  return (
    <>
      <h1>New schedule</h1>
      <ScheduleForm />
    </>
  );
}

export function EditSchedulePage() {
  const { scheduleId } = useParams({ from: "/app/schedules/$scheduleId/edit" });
  const schedule = useSchedule(scheduleId);
  if (schedule.error) return <Problem error={schedule.error} what="Could not load the schedule" />;
  if (!schedule.data) return <p>Loading…</p>;
  return (
    <>
      <h1>Edit {schedule.data.name}</h1>
      <ScheduleForm current={schedule.data} />
    </>
  );
}
