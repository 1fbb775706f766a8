import type { RunItem, RunListParams } from "@ambit/sdk";
import { type Command, str, strs, UsageError } from "../command.ts";
import { ago, clip, printJson, table } from "../output.ts";

const upper = (v: string | undefined) => v?.toUpperCase().replace(/-/g, "_");
/** `in-progress`, `inprogress`, `INPROGRESS` → `INPROGRESS`. */
const state = (v: string) => v.toUpperCase().replace(/[-_]/g, "");

export const runList: Command = {
  path: ["run", "list"],
  summary: "List runs, newest update first, with every filter of the API",
  description:
    "Fetches pages until --limit runs are shown. Timestamps are RFC 3339 (2026-01-31T12:00:00Z).",
  options: {
    limit: {
      type: "string",
      short: "L",
      value: "<n>",
      description: "how many runs to show (default 20)",
    },
    state: {
      type: "string",
      multiple: true,
      value: "<state>",
      description:
        "queued, pending, claimed, in-progress, succeeded, failed, error, blocked, cancelled",
    },
    source: {
      type: "string",
      value: "<source>",
      description: "api, cli, web-app, scheduled-agent, github-action, slack, linear, …",
    },
    "execution-location": {
      type: "string",
      value: "<local|remote>",
      description: "where the run executes",
    },
    creator: {
      type: "string",
      value: "<uid>",
      description: "runs created by this user or service account",
    },
    name: { type: "string", value: "<name>", description: "the agent config name" },
    model: { type: "string", value: "<id>", description: "the model id" },
    environment: {
      type: "string",
      value: "<id>",
      description: "the environment id (empty-environment: runs without one)",
    },
    schedule: { type: "string", value: "<id>", description: "runs started by this schedule" },
    skill: { type: "string", value: "<spec>", description: "runs of this skill" },
    "artifact-type": {
      type: "string",
      value: "<type>",
      description: "plan, pull-request, screenshot, file, external-reference",
    },
    "created-after": {
      type: "string",
      value: "<time>",
      description: "created after this RFC 3339 time",
    },
    "created-before": {
      type: "string",
      value: "<time>",
      description: "created before this RFC 3339 time",
    },
    "updated-after": {
      type: "string",
      value: "<time>",
      description: "updated after this RFC 3339 time",
    },
    query: {
      type: "string",
      short: "q",
      value: "<text>",
      description: "search title, prompt and skill",
    },
    metadata: {
      type: "string",
      multiple: true,
      value: "<key=value>",
      description: "runs with this metadata pair (up to 5, all must match)",
    },
    "sort-by": {
      type: "string",
      value: "<field>",
      description: "updated-at (default), created-at or title",
    },
    "sort-order": { type: "string", value: "<asc|desc>", description: "default desc" },
    cursor: {
      type: "string",
      value: "<cursor>",
      description: "start from this cursor (next_cursor of an earlier --json page)",
    },
  },
  examples: [
    "ambit run list",
    "ambit run list --state failed --state error --created-after 2026-01-01T00:00:00Z",
    'ambit run list -q "flaky test" --source cli -L 100',
    "ambit run list --metadata ticket=ENG-42 --json | jq -r '.runs[].run_id'",
  ],
  async run({ values, client, io, json }) {
    const limit = Number(str(values.limit) ?? 20);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError("--limit wants a positive whole number", "ambit run list");
    const metadata: Record<string, string> = {};
    for (const pair of strs(values.metadata)) {
      const eq = pair.indexOf("=");
      if (eq < 1) throw new UsageError(`--metadata '${pair}' is not key=value`, "ambit run list");
      metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const filters: RunListParams = {
      state: strs(values.state).length
        ? (strs(values.state).map(state) as RunListParams["state"])
        : undefined,
      source: upper(str(values.source)) as RunListParams["source"],
      execution_location: upper(
        str(values["execution-location"]),
      ) as RunListParams["execution_location"],
      creator: str(values.creator),
      name: str(values.name),
      model_id: str(values.model),
      environment_id: str(values.environment),
      schedule_id: str(values.schedule),
      skill_spec: str(values.skill),
      artifact_type: upper(str(values["artifact-type"])) as RunListParams["artifact_type"],
      created_after: str(values["created-after"]),
      created_before: str(values["created-before"]),
      updated_after: str(values["updated-after"]),
      q: str(values.query),
      sort_by: str(values["sort-by"])?.replace(/-/g, "_") as RunListParams["sort_by"],
      sort_order: str(values["sort-order"]) as RunListParams["sort_order"],
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
    const api = client();
    const runs: RunItem[] = [];
    let cursor = str(values.cursor);
    let pageInfo: { has_next_page: boolean; next_cursor?: string } = { has_next_page: false };
    // whole pages only, sized to what is left, so next_cursor always points just past the last run shown
    do {
      const page = await api.agent.runs.list({
        ...filters,
        limit: Math.min(limit - runs.length, 500),
        ...(cursor ? { cursor } : {}),
      });
      runs.push(...page.runs);
      pageInfo = page.page_info;
      cursor = page.page_info.next_cursor;
    } while (runs.length < limit && pageInfo.has_next_page && cursor);
    if (json) return (printJson(io, { runs, page_info: pageInfo }), 0);
    if (!runs.length) {
      io.out.write("No runs match.\n");
      return 0;
    }
    const width = Math.max(30, Math.min(70, (io.out.columns ?? 120) - 90));
    io.out.write(
      table(
        ["RUN ID", "STATE", "SOURCE", "UPDATED", "TITLE"],
        runs.map((r) => [
          r.run_id,
          r.state,
          r.source ?? "-",
          ago(r.updated_at),
          clip(r.title, width),
        ]),
      ),
    );
    if (pageInfo.has_next_page && pageInfo.next_cursor)
      io.err.write(`More runs: ambit run list --cursor ${pageInfo.next_cursor} (or a larger -L)\n`);
    return 0;
  },
};
