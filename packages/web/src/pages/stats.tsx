// Stats: how the team's runs went over a range — per day by state, success rate, run and queue
// times, top failure reasons, and a split by one field. Everything the screen shows is in its URL.
import { useQuery } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { type FormEvent, useEffect } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import { BudgetLine, CostChart, CostFigures, TopCost, useUsage } from "../stats/cost.tsx";
import { DayChart } from "../stats/day-chart.tsx";
import { FailureReasons, Figures } from "../stats/figures.tsx";
import { SplitChart } from "../stats/split-chart.tsx";
import { SplitTable } from "../stats/split-table.tsx";
import { GROUP_BYS, type GroupBy, resolveStatsSearch, toQuery } from "../stats/stats-search.ts";

export function StatsPage() {
  const raw = useSearch({ from: "/app/stats" });
  const navigate = useNavigate({ from: "/stats" });
  const search = resolveStatsSearch(raw);
  const complete = raw.from && raw.to && raw.tz && raw.group_by;
  // the defaults go into the URL, so a copied link shows the same range tomorrow
  useEffect(() => {
    if (!complete) void navigate({ search, replace: true });
  });
  const stats = useQuery({
    queryKey: ["stats", search],
    queryFn: async () => client.stats.runs(toQuery(search)),
    enabled: !!complete,
  });
  const daily = useQuery({
    queryKey: ["stats", { ...search, group_by: "day" }],
    queryFn: async () => client.stats.runs(toQuery({ ...search, group_by: "day" })),
    enabled: !!complete && search.group_by !== "day",
  });
  const days = search.group_by === "day" ? stats.data : daily.data;
  // what the range cost (GET /usage): per day, and the costliest models and members
  const costDays = useUsage(search, "day", !!complete);
  const costModels = useUsage(search, "model", !!complete);
  const costMembers = useUsage(search, "member", !!complete);

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    void navigate({
      search: {
        from: String(f.get("from")),
        to: String(f.get("to")),
        tz: String(f.get("tz")).trim() || search.tz,
        group_by: String(f.get("group_by")) as GroupBy,
      },
    });
  }

  return (
    <>
      <h1>Stats</h1>
      <form className="toolbar stats-range" onSubmit={apply} key={JSON.stringify(search)}>
        <label>
          From <input type="date" name="from" defaultValue={search.from} required />
        </label>
        <label>
          To (included) <input type="date" name="to" defaultValue={search.to} required />
        </label>
        <label>
          Time zone <input name="tz" defaultValue={search.tz} size={18} />
        </label>
        <label>
          Split by{" "}
          <select
            name="group_by"
            defaultValue={search.group_by}
            onChange={(e) => e.currentTarget.form?.requestSubmit()}
          >
            {GROUP_BYS.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <Problem error={stats.error ?? daily.error} what="Could not read the stats" />
      <Problem
        error={costDays.error ?? costModels.error ?? costMembers.error}
        what="Could not read the usage"
      />
      {stats.isPending && complete && <p>Loading…</p>}
      {stats.data && (
        <>
          <Figures stats={stats.data} />
          <h2>Runs per day</h2>
          {days && <DayChart series={days.series} />}
          <h2>Top failure reasons</h2>
          <FailureReasons stats={stats.data} />
          <h2>By {search.group_by}</h2>
          {search.group_by !== "day" && stats.data.series.length > 0 && (
            <SplitChart stats={stats.data} />
          )}
          <SplitTable stats={stats.data} />
        </>
      )}
      {costDays.data && (
        <section aria-labelledby="cost-heading">
          <h2 id="cost-heading">Cost</h2>
          <CostFigures usage={costDays.data} />
          <BudgetLine />
          <h3>Cost per day</h3>
          <CostChart series={costDays.data.series} />
          <div className="cost-tops">
            <div>
              <h3>Top models</h3>
              {costModels.data && <TopCost usage={costModels.data} label="Model" />}
            </div>
            <div>
              <h3>Top members</h3>
              {costMembers.data && <TopCost usage={costMembers.data} label="Member" />}
            </div>
          </div>
        </section>
      )}
    </>
  );
}
