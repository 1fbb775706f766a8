import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { teams } from "../../src/db/schema.ts";
import { type Config, getConfig } from "../../src/env.ts";
import { capLimits } from "../../src/lib/ceilings.ts";
import { CONTAINER_BOOT_MARGIN_S, signHostToken } from "../../src/lib/host-token.ts";
import { runnerContainer } from "../stubs.ts";
import { type ConnBinding, containerPrincipal } from "./admission.ts";
import type { Dispatch } from "./dispatch.ts";
import {
  claimContainer,
  containerStopped as markStopped,
  dropContainer,
  dropLine,
  heldAll,
  lineAll,
  lineGet,
  liveContainers,
  pruneContainers,
} from "./storage.ts";
import { log } from "../../src/lib/log.ts";

/** After a runner container failed to start, or stopped while its run still waits, when the pool tries again. */
export const CONTAINER_RETRY_MS = 30_000;
/** Containers started for one attempt of a run that all stopped without it before it ends ERROR. */
export const MAX_CONTAINER_STARTS = 3;

export type StartResult = { ok: true } | { ok: false; message: string };

/** Starts a runner container for one waiting run (this execution of it) of a team's platform pool. */
export type RunnerStarter = {
  start(input: { runId: string; teamId: string; executionId: number }): Promise<StartResult>;
};

/** How the platform pool gets hosts: `starter` is null when hosts connect themselves. */
export type PlatformHosting = { mode: "local" | "containers"; starter: RunnerStarter | null };

/** The hosting of the `PLATFORM_HOSTS` setting; "containers" starts `RunnerContainer`s. */
export function platformHosting(env: Env): PlatformHosting {
  const config = getConfig(env);
  if (config.PLATFORM_HOSTS === "local") return { mode: "local", starter: null };
  return {
    mode: "containers",
    starter: {
      async start({ runId, teamId, executionId }) {
        const container = runnerContainer(env, runId);
        if (!container)
          return {
            ok: false,
            message:
              "PLATFORM_HOSTS is 'containers' but the RUNNER_CONTAINER binding is missing; deploy with `--env containers`",
          };
        const token = await signHostToken(
          config.JWT_SECRET,
          { teamId, runId, executionId },
          await containerCredentialTtl(env.DB, teamId, config),
        );
        return container.startRunner({ url: config.PUBLIC_URL!, token, runId, teamId });
      },
    },
  };
}

/** How long a container's credential lives: the team's maximum run time (under the operator's ceiling) plus the boot margin. */
async function containerCredentialTtl(db: D1Database, teamId: string, config: Config) {
  const [team] = await createDb(db)
    .select({
      maxConcurrentRuns: teams.maxConcurrentRuns,
      maxRunTimeSeconds: teams.maxRunTimeSeconds,
    })
    .from(teams)
    .where(eq(teams.id, teamId));
  return (team ? capLimits(team, config).maxRunTimeSeconds : 0) + CONTAINER_BOOT_MARGIN_S;
}

/**
 * Gives runs waiting in line one runner container each, once (the `containers` table; a run handed
 * back to the line is a new attempt and gets a new one), in line order and no more than the team
 * may run: `room()` is how many more runs it may hold (its concurrency limit, capped by the
 * operator's ceiling, less what it holds), and containers already starting count against it. So
 * a team's waiting runs never hold more containers than it could use, however many it queues.
 * A start that fails is forgotten, so the next call tries again; answers how many starts were
 * tried, whether one failed, and how many runs still wait for room.
 */
export async function startWaitingContainers(
  sql: SqlStorage,
  starter: RunnerStarter,
  room: () => Promise<number>,
): Promise<{ tried: number; failed: boolean; deferred: number }> {
  pruneContainers(sql);
  const live = liveContainers(sql);
  const needing = lineAll(sql).filter((e) => !live.has(e.run_id));
  if (!needing.length) return { tried: 0, failed: false, deferred: 0 };
  const free = Math.max(0, (await room()) - live.size);
  const wanting = needing.slice(0, free).filter((e) => claimContainer(sql, e.run_id));
  const results = await Promise.all(
    wanting.map(async (e) => {
      const r = await starter
        .start({ runId: e.run_id, teamId: e.team_id, executionId: e.execution_id })
        .catch((err): StartResult => ({ ok: false, message: String(err) }));
      if (r.ok) return true;
      log.error("runner container did not start; retrying", {
        run_id: e.run_id,
        team_id: e.team_id,
        error: r.message,
      });
      dropContainer(sql, e.run_id);
      return false;
    }),
  );
  return {
    tried: wanting.length,
    failed: results.includes(false),
    deferred: needing.length - wanting.length,
  };
}

/**
 * Whether the runner container started for `runId` still has work: its connection holds its run,
 * or it has not connected yet and its run still waits (`open`: the pool's connections).
 */
export function containerWanted(
  sql: SqlStorage,
  open: { state: ConnBinding & { conn: string } }[],
  runId: string,
): boolean {
  const mine = open.filter((s) => s.state.principal === containerPrincipal(runId));
  if (mine.length) return heldAll(sql).some((h) => mine.some((s) => s.state.conn === h.conn));
  return lineGet(sql, runId) !== null; // it can only ever take its own run
}

/**
 * The container started for `runId` stopped (its runner exited). While the run still waits (the
 * runner never took it: refused, crashed, misconfigured), another is started after
 * CONTAINER_RETRY_MS, up to MAX_CONTAINER_STARTS; then the run ends ERROR saying why.
 */
export async function containerStopped(
  sql: SqlStorage,
  dispatch: Dispatch,
  runId: string,
  exitCode: number,
): Promise<"none" | "retry" | "ended"> {
  const entry = lineGet(sql, runId);
  const starts = entry ? markStopped(sql, runId) : null;
  if (!entry || starts === null) return "none";
  if (starts < MAX_CONTAINER_STARTS) {
    await dispatch.alarmIn(CONTAINER_RETRY_MS);
    return "retry";
  }
  dropLine(sql, runId);
  dispatch.refreshLine();
  const why = `${starts} runner containers stopped without taking this run (last exit code ${exitCode})`;
  await dispatch.end(
    { runId, teamId: entry.team_id },
    `${why}; check PUBLIC_URL and the container logs (wrangler tail), then start a new run`,
  );
  return "ended";
}
