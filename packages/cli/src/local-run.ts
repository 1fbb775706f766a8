// `ambit agent run --local`: creates a LOCAL run and runs its agent in this process with the
// runner's code (runLocal), while the usual live view follows the run's session.
import { statSync } from "node:fs";
import path from "node:path";
import type { RunFollowupRequest } from "@ambit/protocol";
import type { Ambit, RunCreateParams } from "@ambit/sdk";
import { CliError, UsageError } from "./command.ts";
import type { Resolved } from "./config.ts";
import { EXIT, exitForState } from "./exit-codes.ts";
import { followRun } from "./follow.ts";
import type { Io } from "./output.ts";
import { describeSharing } from "./share-spec.ts";

export type RunHereOptions = {
  dir: string;
  json: boolean;
  /** variables of this shell the agent gets (`--env NAME`); it gets none of the others */
  passEnv?: string[];
};

/** Creates the LOCAL run, claims it, runs the agent in `dir` and shows the live view; answers the exit code. */
export async function runHere(
  api: Ambit,
  settings: Resolved,
  io: Io,
  body: RunCreateParams,
  opts: RunHereOptions,
): Promise<number> {
  const dir = path.resolve(opts.dir);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* missing */
  }
  if (!isDir)
    throw new UsageError(
      `-C ${opts.dir}: no such directory; the agent works in an existing directory, as it is`,
      "ambit agent run --local",
    );
  apiKeyOf(settings);
  const created = await api.agent.runs.create(body);
  return holdHere(api, settings, io, created.run_id, { ...opts, dir }, created);
}

/**
 * Continues the key's ended run here (`ambit run continue <id> --local`): a new LOCAL execution
 * of it with `followup`, run in `dir` (the checkout of its last checkpoint) with the live view.
 */
export function continueHere(
  api: Ambit,
  settings: Resolved,
  io: Io,
  runId: string,
  followup: RunFollowupRequest,
  opts: RunHereOptions,
): Promise<number> {
  const dir = path.resolve(opts.dir);
  return holdHere(api, settings, io, runId, { ...opts, dir, continueWith: followup });
}

function apiKeyOf(settings: Resolved): string {
  if (!settings.apiKey)
    throw new CliError("no API key: run `ambit login` or set AMBIT_API_KEY", EXIT.AUTH);
  return settings.apiKey;
}

/** Claims the run, runs its agent in `dir` and shows the live view; answers the exit code. */
async function holdHere(
  api: Ambit,
  settings: Resolved,
  io: Io,
  runId: string,
  opts: RunHereOptions & { continueWith?: RunFollowupRequest },
  created?: Awaited<ReturnType<Ambit["agent"]["runs"]["create"]>>,
): Promise<number> {
  const { dir } = opts;
  const apiKey = apiKeyOf(settings);
  // the runner (harnesses, MCP, websockets) loads only for local runs
  const { runLocal } = await import("@ambit/runner");
  const note = (text: string) => {
    if (!opts.json) io.err.write(`${text}\n`);
  };
  let local: Awaited<ReturnType<typeof runLocal>>;
  try {
    local = await runLocal({
      url: settings.baseURL,
      apiKey,
      runId,
      dir,
      passEnv: opts.passEnv,
      continueWith: opts.continueWith,
      log: (e) => note(`ambit: ${String(e.msg)}${e.error ? ` (${String(e.error)})` : ""}`),
    });
  } catch (err) {
    throw new CliError(
      `could not start LOCAL run ${runId}: ${(err as Error).message}`,
      EXIT.ERROR,
      opts.continueWith ? undefined : "the run ends ERROR on the platform once its lease lapses",
    );
  }
  note(`Running ${runId} here, in ${dir}. Ctrl-C cancels it.`);
  if (created?.sharing) {
    note(describeSharing(created.sharing));
    if (opts.json) io.out.write(`${JSON.stringify(created)}\n`);
  }

  let cancelling = false;
  const stopView = new AbortController();
  const view = followRun(api, io, runId, {
    json: opts.json,
    input: false,
    signal: stopView.signal,
    onInterrupt: () => {
      if (cancelling) return false; // a second Ctrl-C: leave now (the agent's processes are already being killed)
      cancelling = true;
      note("Cancelling the run: stopping the agent… (Ctrl-C again to exit now)");
      local.cancel("Ctrl-C on the machine running it");
      return true;
    },
  });
  // the view may fail (the network is gone) while the agent goes on here: the run's own end decides
  const viewed = view.then(
    (code) => ({ code }),
    (error: unknown) => ({ error }),
  );
  const first = await Promise.race([viewed, local.done]);
  if ("code" in first && first.code === EXIT.INTERRUPTED) return first.code; // a second Ctrl-C
  const { final, lost } = await local.done;
  if (lost) {
    stopView.abort();
    await viewed;
    io.err.write(
      `LOCAL run ${runId}: the platform (${settings.baseURL}) was unreachable for longer than the run's lease, so it ended the run ERROR; ` +
        "the agent was stopped. Events sent before the loss are kept; see them with `ambit run logs`.\n",
    );
    return EXIT.RUN_ERROR;
  }
  const shown = await viewed;
  if ("code" in shown) return shown.code;
  note(
    `The live view stopped (${shown.error instanceof Error ? shown.error.message : String(shown.error)}); the run ended ${final?.state ?? "FAILED"} here.`,
  );
  return exitForState(final?.state ?? "FAILED");
}
