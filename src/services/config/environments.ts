import type { CloudEnvironment, EnvironmentRequest, ListEnvironmentsQuery, RunState } from "@ambit/protocol";
import { sql } from "drizzle-orm";
import { environments } from "../../db/schema.ts";
import { iso, isoOrNull } from "../../lib/time.ts";
import { type Ctx, ownPersonal } from "../context.ts";
import { configCollection } from "./collection.ts";
import { type EnvironmentRow, loadTeamConfig } from "./team-config.ts";

type LastTask = { environment_id: string; id: string; title: string; state: string; created_at: number; updated_at: number; started_at: number | null; status_message: string | null };

const GITHUB = /^(?:https:\/\/github\.com\/)?([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/;

/** `owner/repo` shorthand or a github.com URL, as Oz's `github_repos` entry; null for other git URLs. */
export const githubRepoOf = (url: string) => {
  const m = GITHUB.exec(url);
  return m ? { owner: m[1], repo: m[2] } : null;
};

export function toCloudEnvironment(row: EnvironmentRow, last?: LastTask): CloudEnvironment {
  const status = last?.status_message ? (JSON.parse(last.status_message) as { error_code?: string }) : null;
  return {
    uid: row.id,
    config: {
      name: row.name,
      description: row.description,
      docker_image: row.dockerImage,
      github_repos: row.repositories.map((r) => githubRepoOf(r.url)).filter((r) => r !== null),
      repositories: row.repositories,
      setup_commands: row.setupCommands,
      env_vars: row.envVars,
      secrets: row.secretNames.map((name) => ({ name })),
      worker_host: row.workerHost,
    },
    last_updated: iso(row.updatedAt),
    setup_failed: status?.error_code === "environment_setup_failed",
    last_task_run_timestamp: last ? isoOrNull(last.started_at ?? last.created_at) : null,
    ...(last
      ? { last_task_created: { id: last.id, title: last.title, state: last.state as RunState, created_at: iso(last.created_at), updated_at: iso(last.updated_at), started_at: isoOrNull(last.started_at) } }
      : {}),
    scope: { type: "Team", uid: row.teamId },
    creator: { type: "user", uid: row.createdBy },
    last_editor: { type: "user", uid: row.updatedBy },
  };
}

/** The latest run the caller can see in each of these environments (one query). */
async function lastTasks(ctx: Ctx, ids: string[]): Promise<Map<string, LastTask>> {
  if (!ids.length) return new Map();
  const rows = await ctx.db.all<LastTask>(sql`SELECT * FROM (
      SELECT environment_id, id, title, state, created_at, updated_at, started_at, status_message,
             ROW_NUMBER() OVER (PARTITION BY environment_id ORDER BY created_at DESC, id DESC) AS n
      FROM runs WHERE team_id = ${ctx.teamId} AND environment_id IN (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})
        AND (scope = 'Team' OR creator_id = ${ownPersonal(ctx) ?? null})
    ) WHERE n = 1`);
  return new Map(rows.map((r) => [r.environment_id, r]));
}

/** The items of these rows, each with the latest run the caller can see in it. */
async function present(ctx: Ctx, rows: EnvironmentRow[]) {
  const last = await lastTasks(ctx, rows.map((r) => r.id));
  return rows.map((r) => toCloudEnvironment(r, last.get(r.id)));
}

function fields(input: EnvironmentRequest) {
  const fromGithub = (input.github_repos ?? []).map((r) => ({ url: `${r.owner}/${r.repo}` }));
  return {
    name: input.name,
    description: input.description ?? null,
    dockerImage: input.docker_image ?? null,
    repositories: [...(input.repositories ?? []), ...fromGithub.filter((g) => !(input.repositories ?? []).some((r) => r.url === g.url))],
    setupCommands: input.setup_commands ?? [],
    envVars: input.env_vars ?? {},
    secretNames: (input.secrets ?? []).map((s) => s.name),
    workerHost: input.worker_host ?? null,
  };
}

/**
 * Environments: members write them. An update is a full replacement (like Oz's PUT of
 * schedules); runs already created keep their frozen copy.
 */
export const {
  get: getEnvironment, create: createEnvironment, update: updateEnvironment, remove: deleteEnvironment,
} = configCollection<EnvironmentRow, CloudEnvironment, EnvironmentRequest>({
  table: environments,
  noun: "Environment",
  cached: (c) => c.environments,
  toItem: (row) => toCloudEnvironment(row),
  present,
  authorize: "member",
  actions: { create: "Creating environments", update: "Changing environments", remove: "Deleting environments" },
  fields,
  recordsCreator: true,
});

export async function listEnvironments({ ctx, query }: { ctx: Ctx; query: ListEnvironmentsQuery }) {
  const rows = [...(await loadTeamConfig(ctx)).environments];
  rows.sort(query.sort_by === "name" ? (a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id) : (a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
  return present(ctx, rows);
}
