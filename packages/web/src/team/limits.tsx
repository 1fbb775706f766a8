// The team's limits: everyone reads them, admins change them.
import type { Team } from "@ambit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { formatDuration } from "../lib/format.ts";

export function Limits({ team, editable }: { team: Team; editable: boolean }) {
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async (f: FormData) =>
      client.team.update({
        limits: {
          max_concurrent_runs: Number(f.get("runs")),
          max_run_time_seconds: Math.round(Number(f.get("hours")) * 3600),
        },
      }),
    onSuccess: (t) => queryClient.setQueryData(["team"], t),
  });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    save.mutate(new FormData(e.currentTarget));
  }
  const { max_concurrent_runs: runs, max_run_time_seconds: secs } = team.limits;
  return (
    <section aria-labelledby="limits-title">
      <h2 id="limits-title">Limits</h2>
      {editable ? (
        <form className="toolbar" onSubmit={submit} key={`${runs}:${secs}`}>
          <label>
            Runs at once{" "}
            <input name="runs" type="number" min={1} max={10000} defaultValue={runs} required />
          </label>
          <label>
            Longest run (hours){" "}
            <input
              name="hours"
              type="number"
              min={0.02}
              max={168}
              step="any"
              defaultValue={secs / 3600}
              required
            />
          </label>
          <button type="submit" disabled={save.isPending}>
            Save limits
          </button>
          {save.isSuccess && <span role="status">Saved.</span>}
        </form>
      ) : (
        <dl className="figures" data-testid="limits">
          <div>
            <dt>Runs at once</dt>
            <dd>{runs}</dd>
          </div>
          <div>
            <dt>Longest run</dt>
            <dd>{formatDuration(secs * 1000)}</dd>
          </div>
        </dl>
      )}
      <Problem error={save.error} what="The limits were not saved" />
    </section>
  );
}
