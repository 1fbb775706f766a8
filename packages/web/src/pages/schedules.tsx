// The team's schedules and your personal ones: cron, time zone, next run, last result.
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { Problem } from "../components/problem.tsx";
import { canWrite, client } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { useMe } from "../lib/me.ts";
import { LastResult } from "../schedules/last-result.tsx";

export function SchedulesPage() {
  const me = useMe();
  const list = useQuery({
    queryKey: ["schedules"],
    queryFn: async () => (await client.agent.schedules.list()).schedules,
  });
  return (
    <>
      <div className="page-head">
        <h1>Schedules</h1>
        {canWrite(me.data) && (
          <Link to="/schedules/new" className="button primary">
            New schedule
          </Link>
        )}
      </div>
      <Problem error={list.error} what="Could not list schedules" />
      {list.data?.length === 0 && <p>No schedules yet.</p>}
      {!!list.data?.length && (
        <table className="runs schedules">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Cron</th>
              <th scope="col">Next run</th>
              <th scope="col">Last result</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((s) => (
              <tr key={s.id} data-schedule-id={s.id}>
                <td>
                  <Link to="/schedules/$scheduleId" params={{ scheduleId: s.id }}>
                    {s.name}
                  </Link>
                </td>
                <td>
                  <code>{s.cron_schedule}</code> {s.timezone}
                </td>
                <td>{s.enabled ? formatTime(s.history?.next_run) : "Paused"}</td>
                <td>
                  <LastResult runId={s.history?.last_run_id} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
