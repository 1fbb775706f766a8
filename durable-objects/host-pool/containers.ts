import { getConfig } from "../../src/env.ts";
import { CONTAINER_BOOT_MARGIN_S, signHostToken } from "../../src/lib/host-token.ts";
import type { RunnerContainer } from "../runner-container/runner-container.ts";
import { claimContainer, dropContainer, lineAll, pruneContainers } from "./storage.ts";

export type StartResult = { ok: true } | { ok: false; message: string };

/** Starts a runner container for one waiting run (this execution of it) of a team's platform pool. */
export type RunnerStarter = { start(input: { runId: string; teamId: string; executionId: number }): Promise<StartResult> };

/** How the platform pool gets hosts: `starter` is null when hosts connect themselves. */
export type PlatformHosting = { mode: "local" | "containers"; starter: RunnerStarter | null };

type ContainerEnv = { RUNNER_CONTAINER?: DurableObjectNamespace<RunnerContainer> };

/** The hosting of the `PLATFORM_HOSTS` setting; "containers" starts `RunnerContainer`s. */
export function platformHosting(env: Env): PlatformHosting {
  const config = getConfig(env);
  if (config.PLATFORM_HOSTS === "local") return { mode: "local", starter: null };
  const ns = (env as unknown as ContainerEnv).RUNNER_CONTAINER;
  return {
    mode: "containers",
    starter: {
      async start({ runId, teamId, executionId }) {
        if (!ns) return { ok: false, message: "PLATFORM_HOSTS is 'containers' but the RUNNER_CONTAINER binding is missing; deploy with `--env containers`" };
        const token = await signHostToken(config.JWT_SECRET, { teamId, runId, executionId }, await containerCredentialTtl(env.DB, teamId));
        // one container per run, named by it: a second start of the same run reaches the same instance
        return ns.getByName(runId).startRunner({ url: config.PUBLIC_URL!, token, runId, teamId });
      },
    },
  };
}

/** How long a container's credential lives: the team's maximum run time plus the boot margin. */
async function containerCredentialTtl(db: D1Database, teamId: string) {
  const team = await db.prepare("SELECT max_run_time_seconds FROM teams WHERE id = ?").bind(teamId).first<{ max_run_time_seconds: number }>();
  return (team?.max_run_time_seconds ?? 0) + CONTAINER_BOOT_MARGIN_S;
}

/**
 * Gives every run waiting in line one runner container, once (the `containers` table; a run handed
 * back to the line is a new attempt and gets a new one). None while the team is at its concurrency
 * limit. A start that fails is forgotten, so the next call tries again; answers how many starts
 * were tried and whether one failed.
 */
export async function startWaitingContainers(sql: SqlStorage, starter: RunnerStarter, atLimit: boolean): Promise<{ tried: number; failed: boolean }> {
  pruneContainers(sql);
  if (atLimit) return { tried: 0, failed: false };
  const wanting = lineAll(sql).filter((e) => claimContainer(sql, e.run_id));
  const results = await Promise.all(
    wanting.map(async (e) => {
      const r = await starter.start({ runId: e.run_id, teamId: e.team_id, executionId: e.execution_id }).catch((err): StartResult => ({ ok: false, message: String(err) }));
      if (r.ok) return true;
      console.error(JSON.stringify({ msg: "runner container did not start; retrying", run_id: e.run_id, team_id: e.team_id, error: r.message }));
      dropContainer(sql, e.run_id);
      return false;
    }),
  );
  return { tried: wanting.length, failed: results.includes(false) };
}
