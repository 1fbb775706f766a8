/** The `RunSession` Durable Object of a run (named by the run id). */
export function runSession(env: Env, runId: string) {
  return env.RUN_SESSION.get(env.RUN_SESSION.idFromName(runId));
}
