// What the run records about the workflow that started it, from the variables every step gets.

/** `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`, when the step has them. */
export function workflowRunUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = env;
  if (!server || !repo || !id) return undefined;
  return `${server.replace(/\/+$/, "")}/${repo}/actions/runs/${id}`;
}

/**
 * The run's `metadata` keys naming the workflow run (filter runs by them later:
 * `GET /agent/runs?metadata[github_repository]=o/r`). Values past the API's 256 bytes are left out.
 */
export function githubMetadata(env: NodeJS.ProcessEnv): Record<string, string> {
  const pairs: Record<string, string | undefined> = {
    github_workflow_run_url: workflowRunUrl(env),
    github_repository: env.GITHUB_REPOSITORY,
    github_run_id: env.GITHUB_RUN_ID,
    github_run_attempt: env.GITHUB_RUN_ATTEMPT,
    github_sha: env.GITHUB_SHA,
    github_ref: env.GITHUB_REF,
    github_event_name: env.GITHUB_EVENT_NAME,
    github_workflow: env.GITHUB_WORKFLOW,
    github_actor: env.GITHUB_ACTOR,
  };
  return Object.fromEntries(
    Object.entries(pairs).filter(
      (e): e is [string, string] => !!e[1] && Buffer.byteLength(e[1]) <= 256,
    ),
  );
}
