// The step: read the inputs, create the run (source GITHUB_ACTION, metadata naming the workflow
// run), write the live link to the job summary, then (wait: true) follow the run to its end and
// set the outputs; a run that does not succeed fails the step.
import type { RunState, TerminalState } from "@ambit/protocol";
import { Ambit, type Fetch, type RunItem } from "@ambit/sdk";
import { describeError } from "./api-errors.ts";
import { type Out, type WorkflowCommands, workflowCommands } from "./commands.ts";
import { type EnvFiles, envFiles } from "./env-files.ts";
import { githubMetadata } from "./github-context.ts";
import { getInput, InputError, readInputs } from "./inputs.ts";
import { clock, progressLine } from "./progress.ts";
import { endedSummary, startedSummary } from "./summary.ts";

const TERMINAL = new Set<RunState>([
  "SUCCEEDED",
  "FAILED",
  "ERROR",
  "CANCELLED",
] satisfies TerminalState[]);
/** How long a cancelled run's host gets to confirm, before the step reports the state it has. */
const CANCEL_WAIT_MS = 5_000;

export type ActionIo = {
  env: NodeJS.ProcessEnv;
  out: Out;
  fetch?: Fetch;
  /** Aborted when the job is being cancelled (GitHub sends SIGINT, then SIGTERM). */
  cancelled?: AbortSignal;
};

/** Runs the step; answers its exit code (0 success, 1 failure). */
export async function runAction(io: ActionIo): Promise<number> {
  const log = workflowCommands(io.out);
  // before anything could print it, even an input error
  log.addMask(getInput(io.env, "api_key") || getInput(io.env, "warp_api_key"));
  let inputs: ReturnType<typeof readInputs>;
  try {
    inputs = readInputs(io.env);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    log.error(err.message, "Ambit: a wrong input");
    return 1;
  }
  const files = envFiles(io.env, (m) => log.warning(m));
  if (inClear(inputs.baseUrl))
    log.warning("base_url is http://: the API key crosses the network unencrypted; use https://");
  const client = new Ambit({
    apiKey: inputs.apiKey,
    baseURL: inputs.baseUrl,
    defaultHeaders: { "x-oz-api-source": "GITHUB_ACTION" },
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  const origin = client.baseURL.replace(/\/api\/v1$/, "");
  const metadata = { ...inputs.body.metadata, ...githubMetadata(io.env) };

  log.group("Start an Ambit run");
  log.info(`platform: ${origin}`);
  for (const [k, v] of Object.entries(metadata)) log.info(`metadata ${k}: ${v}`);
  let created: Awaited<ReturnType<typeof client.agent.runs.create>>;
  try {
    created = await client.agent.runs.create({ ...inputs.body, metadata });
  } catch (err) {
    log.endGroup();
    log.error(describeError(err, origin), "Ambit: the run was not created");
    return 1;
  }
  log.endGroup();

  const runId = created.run_id;
  const sessionUrl = `${origin}/runs/${runId}`;
  files.setOutput("run_id", runId);
  files.setOutput("session_url", sessionUrl);
  files.setOutput("state", created.state);
  if (created.sharing?.public_url) files.setOutput("public_url", created.sharing.public_url);
  const title =
    inputs.body.title ?? (await client.agent.runs.retrieve(runId).catch(() => null))?.title;
  files.appendSummary(startedSummary({ ...created, title: title ?? "" }, sessionUrl));
  log.info(`Ambit run ${runId} is ${created.state}: ${sessionUrl}`);
  if (created.at_capacity)
    log.notice("The team runs as many agents as its limit allows; this run waits its turn.");
  if (!inputs.wait) return 0;
  return follow(client, io, log, files, {
    runId,
    origin,
    sessionUrl,
    timeoutMinutes: inputs.timeoutMinutes,
  });
}

/** Streams the run to the log until it ends, the timeout passes or the job is cancelled. */
async function follow(
  client: Ambit,
  io: ActionIo,
  log: WorkflowCommands,
  files: EnvFiles,
  run: { runId: string; origin: string; sessionUrl: string; timeoutMinutes: number },
): Promise<number> {
  const { runId, sessionUrl } = run;
  const started = Date.now();
  const ac = new AbortController();
  let stoppedBy: "timeout" | "cancel" | undefined;
  const stop = (why: "timeout" | "cancel") => {
    stoppedBy ??= why;
    ac.abort();
  };
  const timer = run.timeoutMinutes
    ? setTimeout(() => stop("timeout"), run.timeoutMinutes * 60_000)
    : undefined;
  const onCancel = () => stop("cancel");
  if (io.cancelled?.aborted) onCancel();
  io.cancelled?.addEventListener("abort", onCancel);
  let lastMessage: string | undefined;
  let lost: unknown;
  try {
    for await (const event of client.agent.runs.stream(runId, { signal: ac.signal })) {
      const line = progressLine(event);
      if (line) log.info(`[${clock(Date.now() - started)}] ${line}`);
      const p = event.payload as { role?: string; text?: unknown; to?: string };
      if (event.type === "agent.message" && p.role !== "system" && typeof p.text === "string")
        lastMessage = p.text;
      if (event.type === "run.state_changed" && p.to === "BLOCKED")
        log.notice(`The agent waits for an answer: reply on ${sessionUrl}`, "Ambit run blocked");
    }
  } catch (err) {
    lost = err;
  } finally {
    clearTimeout(timer);
    io.cancelled?.removeEventListener("abort", onCancel);
  }

  let final: RunItem;
  let note: string | undefined;
  try {
    final = await client.agent.runs.retrieve(runId);
    // a run that ended as the step stopped waiting is reported as it ended
    if (stoppedBy && !TERMINAL.has(final.state)) {
      note =
        stoppedBy === "timeout"
          ? `The run did not end within ${run.timeoutMinutes} minutes (timeout_minutes), so the step cancelled it.`
          : "The job was cancelled, so the step cancelled the run.";
      final = await cancelRun(client, runId);
    }
  } catch (err) {
    log.error(`${describeError(lost ?? err, run.origin)} (run ${runId}: ${sessionUrl})`);
    return 1;
  }
  const pr = [...(final.artifacts ?? [])]
    .reverse()
    .find((a) => a.artifact_type === "PULL_REQUEST" && typeof a.data.url === "string");
  const pullRequestUrl = pr?.data.url as string | undefined;
  const summary = lastMessage ?? final.status_message?.message ?? "";
  files.setOutput("state", final.state);
  files.setOutput("pull_request_url", pullRequestUrl ?? "");
  files.setOutput("summary", summary);
  files.setOutput("agent_output", summary);
  files.appendSummary(endedSummary(final, { pullRequestUrl, summary, note }));

  const why = final.status_message?.message ? `: ${final.status_message.message}` : "";
  if (note) {
    log.error(`${note} Run ${runId} (${final.state}): ${sessionUrl}`, "Ambit run stopped");
    return 1;
  }
  if (lost && final.state !== "SUCCEEDED") {
    log.error(
      `Lost the run's progress (${describeError(lost, run.origin)}); it is ${final.state}: ${sessionUrl}`,
      "Ambit run not followed",
    );
    return 1;
  }
  if (final.state !== "SUCCEEDED") {
    log.error(
      `Run ${runId} ended ${final.state}${why} — ${sessionUrl}`,
      `Ambit run ${final.state}`,
    );
    return 1;
  }
  log.info(`Run ${runId} SUCCEEDED${pullRequestUrl ? `; pull request: ${pullRequestUrl}` : ""}`);
  return 0;
}

/** Cancels the run and answers it once its host confirmed (CANCELLED), or as it is after a wait. */
async function cancelRun(client: Ambit, runId: string): Promise<RunItem> {
  await client.agent.runs.cancel(runId, { maxRetries: 0, timeout: CANCEL_WAIT_MS }).catch(() => {});
  const until = Date.now() + CANCEL_WAIT_MS;
  for (;;) {
    const run = await client.agent.runs.retrieve(runId);
    if (TERMINAL.has(run.state) || Date.now() > until) return run;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Whether the key would cross a network unencrypted (plain http to another machine). */
const inClear = (baseUrl: string) => {
  const url = new URL(baseUrl);
  return url.protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
};
