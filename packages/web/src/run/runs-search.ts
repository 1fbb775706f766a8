// The runs list's URL: every filter of `GET /agent/runs`, the quick view, sort and cursor.
import type { RunListParams } from "@ambit/sdk";

/** The text filters of `GET /agent/runs`, in the order the "add filter" menu offers them. */
export const TEXT_FILTERS = {
  source: "Source",
  creator: "Creator (user id)",
  name: "Agent config name",
  model_id: "Model",
  environment_id: "Environment",
  schedule_id: "Schedule",
  skill: "Skill",
  skill_spec: "Skill spec",
  artifact_type: "Artifact type",
  execution_location: "Execution location",
  created_after: "Created after",
  created_before: "Created before",
  updated_after: "Updated after",
} as const;
export type TextFilter = keyof typeof TEXT_FILTERS;

export const RUN_STATES = [
  "QUEUED",
  "PENDING",
  "CLAIMED",
  "INPROGRESS",
  "BLOCKED",
  "SUCCEEDED",
  "FAILED",
  "ERROR",
  "CANCELLED",
] as const;

export type RunsSearch = Partial<Record<TextFilter, string>> & {
  view?: QuickView;
  state?: string[];
  q?: string;
  sort_by?: "updated_at" | "created_at" | "title";
  sort_order?: "asc" | "desc";
  cursor?: string;
};

export const QUICK_VIEWS = ["all", "mine", "active", "failed", "scheduled"] as const;
export type QuickView = (typeof QUICK_VIEWS)[number];

/** A quick view's filters (`mine` needs the caller's uid). */
export function quickViewSearch(view: QuickView, myUid: string | undefined): RunsSearch {
  switch (view) {
    case "mine":
      return { view, creator: myUid };
    case "active":
      return { view, state: ["QUEUED", "PENDING", "CLAIMED", "INPROGRESS", "BLOCKED"] };
    case "failed":
      return { view, state: ["FAILED", "ERROR"] };
    case "scheduled":
      return { view, source: "SCHEDULED_AGENT" };
    default:
      return {};
  }
}

const str = (v: unknown) =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;

export function parseRunsSearch(s: Record<string, unknown>): RunsSearch {
  const out: RunsSearch = {};
  for (const key of Object.keys(TEXT_FILTERS) as TextFilter[]) {
    const v = str(s[key]);
    if (v) out[key] = v;
  }
  const states = (Array.isArray(s.state) ? s.state : [s.state]).filter((x): x is string =>
    RUN_STATES.includes(x as never),
  );
  if (states.length) out.state = states;
  if (QUICK_VIEWS.includes(s.view as never)) out.view = s.view as QuickView;
  if (str(s.q)) out.q = str(s.q);
  if (["updated_at", "created_at", "title"].includes(s.sort_by as string))
    out.sort_by = s.sort_by as RunsSearch["sort_by"];
  if (s.sort_order === "asc" || s.sort_order === "desc") out.sort_order = s.sort_order;
  if (str(s.cursor)) out.cursor = str(s.cursor);
  return out;
}

/** The URL's filters as the API's query (the view is only a label; its filters are in the URL). */
export function toListParams(search: RunsSearch, limit: number): RunListParams {
  const { view: _view, cursor: _cursor, ...filters } = search;
  return { ...filters, limit } as RunListParams;
}
