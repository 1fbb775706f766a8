import { getConfig } from "../../src/env.ts";
import { signHostToken } from "../../src/lib/host-token.ts";
import type { RunnerContainer } from "../runner-container/runner-container.ts";

export type StartResult = { ok: true } | { ok: false; message: string };

/** Starts a runner container for one waiting run of a team's platform pool. */
export type RunnerStarter = { start(input: { runId: string; teamId: string }): Promise<StartResult> };

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
      async start({ runId, teamId }) {
        if (!ns) return { ok: false, message: "PLATFORM_HOSTS is 'containers' but the RUNNER_CONTAINER binding is missing; deploy with `--env containers`" };
        const token = await signHostToken(config.JWT_SECRET, { teamId, runId });
        // one container per run, named by it: a second start of the same run reaches the same instance
        return ns.getByName(runId).startRunner({ url: config.PUBLIC_URL!, token, runId, teamId });
      },
    },
  };
}
