import type {
  CloudEnvironment,
  EnvironmentRequest,
  ListEnvironmentsQuery,
  RunState,
} from "@ambit/protocol";
import { and, eq, inArray, sql } from "drizzle-orm";
import { environments, runs } from "../../db/schema.ts";
import { iso, isoOrNull } from "../../lib/time.ts";
import type { Ctx } from "../context.ts";
import { visibleTo } from "../runs/sharing.ts";
import { configCollection } from "./collection.ts";
import { type EnvironmentRow, loadTeamConfig } from "./team-config.ts";

type LastTask = {
  id: string;
  title: string;
  state: string;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  statusMessage: unknown;
};

const GITHUB = /^(?:https:\/\/github\.com\/)?([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/;

/** `owner/repo` shorthand or a github.com URL, as Oz's `github_repos` entry; null for other git URLs. */
export const githubRepoOf = (url: string) => {
  const m = GITHUB.exec(url);
  return m ? { owner: m[1], repo: m[2] } : null;
};

export function toCloudEnvironment(row: EnvironmentRow, last?: LastTask): CloudEnvironment {
  const status = last?.statusMessage as { error_code?: string } | null | undefined;
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
    last_task_run_timestamp: last ? isoOrNull(last.startedAt ?? last.createdAt) : null,
    ...(last
      ? {
          last_task_created: {
            id: last.id,
            title: last.title,
            state: last.state as RunState,
            created_at: iso(last.createdAt),
            updated_at: iso(last.updatedAt),
            started_at: isoOrNull(last.startedAt),
          },
        }
      : {}),
    scope: { type: "Team", uid: row.teamId },
    creator: { type: "user", uid: row.createdBy },
    last_editor: { type: "user", uid: row.updatedBy },
  };
}

/** The latest run the caller can see in each of these environments (one query). */
async function lastTasks(ctx: Ctx, ids: string[]): Promise<Map<string, LastTask>> {
  if (!ids.length) return new Map();
  const ranked = ctx.db
    .select({
      environmentId: runs.environmentId,
      id: runs.id,
      title: runs.title,
      state: runs.state,
      createdAt: runs.createdAt,
      updatedAt: runs.updatedAt,
      startedAt: runs.startedAt,
      statusMessage: runs.statusMessage,
      n: sql<number>`ROW_NUMBER() OVER (PARTITION BY ${runs.environmentId} ORDER BY ${runs.createdAt} DESC, ${runs.id} DESC)`.as(
        "n",
      ),
    })
    .from(runs)
    .where(and(eq(runs.teamId, ctx.teamId), inArray(runs.environmentId, ids), visibleTo(ctx)))
    .as("ranked");
  const rows = await ctx.db.select().from(ranked).where(eq(ranked.n, 1));
  return new Map(rows.map((r) => [r.environmentId!, r]));
}

/** The items of these rows, each with the latest run the caller can see in it. */
async function present(ctx: Ctx, rows: EnvironmentRow[]) {
  const last = await lastTasks(
    ctx,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toCloudEnvironment(r, last.get(r.id)));
}

function fields(input: EnvironmentRequest) {
  const fromGithub = (input.github_repos ?? []).map((r) => ({ url: `${r.owner}/${r.repo}` }));
  return {
    name: input.name,
    description: input.description ?? null,
    dockerImage: input.docker_image ?? null,
    repositories: [
      ...(input.repositories ?? []),
      ...fromGithub.filter((g) => !(input.repositories ?? []).some((r) => r.url === g.url)),
    ],
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
  get: getEnvironment,
  create: createEnvironment,
  update: updateEnvironment,
  remove: deleteEnvironment,
} = configCollection<EnvironmentRow, CloudEnvironment, EnvironmentRequest>({
  table: environments,
  noun: "Environment",
  cached: (c) => c.environments,
  toItem: (row) => toCloudEnvironment(row),
  present,
  authorize: "member",
  actions: {
    create: "Creating environments",
    update: "Changing environments",
    remove: "Deleting environments",
  },
  fields,
  recordsCreator: true,
});

export async function listEnvironments({ ctx, query }: { ctx: Ctx; query: ListEnvironmentsQuery }) {
  const rows = [...(await loadTeamConfig(ctx)).environments];
  rows.sort(
    query.sort_by === "name"
      ? (a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)
      : (a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id),
  );
  return present(ctx, rows);
}
