import { PLATFORM_POOL } from "@ambit/protocol";
import { Container, type StopParams } from "@cloudflare/containers";
import { hostPool } from "../stubs.ts";

type Started = { runId: string; teamId: string };

/**
 * One Cloudflare Container per platform-pool run (`PLATFORM_HOSTS=containers`), named by the run.
 * The image (packages/runner/Dockerfile) runs `ambit-runner host start --once`: it connects to the
 * team's `warp` pool with a host credential, takes one run and exits, which stops the container.
 * Nothing listens in it, so there is no port; the pool decides when an idle one may go.
 */
export class RunnerContainer extends Container<Env> {
  /** how often an idle runner is looked at; a runner that never got a run is stopped then */
  sleepAfter = "10m";
  enableInternet = true;

  /** Starts the runner (idempotent: a running container is left as it is). */
  async startRunner(input: {
    url: string;
    token: string;
    runId: string;
    teamId: string;
  }): Promise<{ ok: true } | { ok: false; message: string }> {
    this.ctx.storage.kv.put("started", {
      runId: input.runId,
      teamId: input.teamId,
    } satisfies Started);
    try {
      const { status } = await this.getState();
      if (status === "running" || status === "healthy") return { ok: true };
      await this.start({
        envVars: {
          AMBIT_BASE_URL: input.url,
          AMBIT_API_KEY: input.token,
          AMBIT_CONTAINER_RUN: input.runId,
        },
        enableInternet: true,
      });
      return { ok: true };
    } catch (err) {
      return { ok: false, message: `the runner container did not start: ${String(err)}` };
    }
  }

  /**
   * Called after `sleepAfter` without requests (a runner makes none: it dials out). A runner still
   * holding its run, or still booting while the run waits, keeps going; an idle one is stopped.
   */
  override async onActivityExpired(): Promise<void> {
    const started = this.started();
    if (started && (await this.pool(started).containerWanted(started.runId)))
      return this.renewActivityTimeout();
    await this.stop();
  }

  /** The runner exited: the pool starts another if its run still waits (see HostPool.containerStopped). */
  override async onStop(params: StopParams): Promise<void> {
    const started = this.started();
    if (started) await this.pool(started).containerStopped(started.runId, params.exitCode);
  }

  private started() {
    return this.ctx.storage.kv.get<Started>("started") ?? null;
  }

  private pool(started: Started) {
    return hostPool(this.env, started.teamId, PLATFORM_POOL);
  }
}
