import { mkdirSync } from "node:fs";
import path from "node:path";
import type { TaskAssignment } from "@ambit/protocol";
import { baselineEnv } from "../backends/process.ts";
import type { Backend } from "../backends/types.ts";
import type { HarnessEvent } from "../harness/types.ts";
import {
  cloneUrlOf,
  git,
  gitAuthEnv,
  githubRepoOf,
  refProblem,
  repoDirName,
  repoUrlProblem,
} from "./git.ts";
import { gatewayEnv } from "./gateway-env.ts";
import { streamProcess, Tail } from "./output.ts";
import { snapshotWorkspace, type WorkspaceSnapshot } from "./workspace-files.ts";

export type PreparedRepo = {
  url: string;
  cloneUrl: string;
  ref?: string;
  dir: string;
  github: string | null;
  /** the commit the run started from (HEAD once cloned and checked out): its diff's base */
  base?: string;
};

export type Prepared = {
  workspace: string;
  env: Record<string, string>;
  repos: PreparedRepo[];
  backend: Backend;
  /** a run without repositories: its workspace once prepared, to keep what the agent changes */
  before?: WorkspaceSnapshot;
};

export type SetupFailure = {
  step: string;
  phase: "workspace" | "clone" | "setup_command";
  exitCode: number | null;
  tail: string;
  message: string;
};

export type PrepareInput = {
  assignment: TaskAssignment;
  /** a directory that does not exist yet; it becomes the run's workspace */
  workspace: string;
  /**
   * The workspace is an existing directory used as it is (a LOCAL run: the user's checkout): no
   * `artifacts/` folder, no clones, no setup commands. Its environment is a host's all the same
   * (baseline, the run's variables and secrets): the user's shell (their AMBIT_API_KEY, cloud
   * credentials, …) stays out but for the names in `passEnv`.
   */
  existing?: boolean;
  /** a LOCAL run: the names of this process's variables the agent gets too (`--env NAME`) */
  passEnv?: string[];
  /** clone local paths and file:// URLs too (`--allow-local-repos`: tests, a machine whose disk runs may read) */
  allowLocalRepos?: boolean;
  makeBackend: (workspace: string, env: Record<string, string>) => Promise<Backend>;
  emit: (e: HarnessEvent) => void;
  signal: AbortSignal;
  /** the server this host talks to: where the model gateway is (`assignment.gateway`) */
  serverUrl?: string;
  /** after the clones, before the setup commands: bring back the run's last checkpoint (resume.ts) */
  restore?: (workspace: string, backend: Backend) => Promise<void>;
};

/**
 * The run's whole environment: a baseline of this machine, then the environment's and the run's
 * variables, then secrets, then the model gateway's URLs and credential when it serves the run.
 */
export function runEnv(
  a: TaskAssignment,
  base: Record<string, string> = baselineEnv(),
  serverUrl?: string,
): Record<string, string> {
  return {
    ...base,
    ...(a.environment?.env_vars ?? {}),
    ...a.env_vars,
    ...Object.fromEntries(a.secrets.map((s) => [s.name, s.value])),
    ...(serverUrl ? gatewayEnv(a, serverUrl) : {}),
  };
}

/**
 * Prepares a run: a fresh workspace, every repository of its environment cloned (and checked out
 * at its `ref`), variables and secrets applied, then the setup commands in order through the
 * backend. Each step is a `setup.step` event (started, then succeeded or failed with its duration,
 * exit code and output tail); output streams as `command.output`. The first failing step ends it.
 */
export async function prepareRun(
  input: PrepareInput,
): Promise<
  { ok: true; prepared: Prepared } | { ok: false; failure: SetupFailure; backend?: Backend }
> {
  const { assignment: a, workspace, emit, signal } = input;
  const step = startStep(emit);

  let done = step(
    "workspace",
    input.existing ? `${workspace} (this directory, as it is)` : workspace,
  );
  if (!input.existing) mkdirSync(path.join(workspace, "artifacts"), { recursive: true });
  done({ ok: true });

  const env = runEnv(a, { ...baselineEnv(), ...passedEnv(input.passEnv) }, input.serverUrl);
  done = step(
    "env",
    `${Object.keys(env).length} variables (${a.secrets.length} secrets: ${a.secrets.map((s) => s.name).join(", ") || "none"})`,
  );
  done({ ok: true });

  let backend: Backend;
  try {
    backend = await input.makeBackend(workspace, env);
  } catch (err) {
    // e.g. the docker backend's image is missing: a failed step saying what to do, not a crashed run
    const why = (err as Error).message;
    const label = "start the run's isolation backend";
    step("workspace", label)({ ok: false, tail: why });
    return {
      ok: false,
      failure: {
        step: label,
        phase: "workspace",
        exitCode: null,
        tail: why,
        message: `Environment setup failed: ${why}`,
      },
    };
  }

  const repos: PreparedRepo[] = [];
  const taken = new Set<string>(["artifacts"]);
  const allowLocal = !!input.allowLocalRepos;
  for (const [i, r] of (input.existing ? [] : (a.environment?.repositories ?? [])).entries()) {
    const cloneUrl = cloneUrlOf(r.url);
    let name = repoDirName(cloneUrl);
    while (taken.has(name)) name = `${name}-${i + 1}`;
    taken.add(name);
    const dir = path.join(workspace, name);
    const github = githubRepoOf(cloneUrl);
    const label = `clone ${r.url}${r.ref ? `@${r.ref}` : ""}`;
    const finish = step("clone", label);
    // refused before git sees them: an option (`--upload-pack=…`, `--pathspec-from-file=…`), this machine's disk, a remote helper
    const refused =
      repoUrlProblem(cloneUrl, allowLocal) ?? (r.ref !== undefined ? refProblem(r.ref) : null);
    if (refused) {
      finish({ ok: false, tail: refused });
      return {
        ok: false,
        failure: {
          step: label,
          phase: "clone",
          exitCode: null,
          tail: refused,
          message: `Environment setup failed: ${refused}`,
        },
        backend,
      };
    }
    const tail = new Tail();
    const callId = `setup-clone-${i + 1}`;
    const onOutput = (stream: "stdout" | "stderr", chunk: string) =>
      emit({ type: "command.output", payload: { call_id: callId, stream, chunk } });
    const opts = {
      cwd: workspace,
      env: github ? gitAuthEnv(env.GITHUB_TOKEN) : undefined,
      allowLocal,
      signal,
      tail,
      onOutput,
    };
    let res = await git(
      backend,
      ["clone", "--quiet", "--no-recurse-submodules", "--", cloneUrl, dir],
      opts,
    );
    if (res.ok && r.ref)
      res = await git(backend, ["checkout", "--quiet", r.ref, "--"], {
        ...opts,
        cwd: dir,
        repo: dir,
      });
    if (!res.ok) {
      const failure = fail("clone", label, res.exitCode, tail.toString(), signal);
      finish({ ok: false, exitCode: res.exitCode, tail: failure.tail });
      return { ok: false, failure, backend };
    }
    finish({ ok: true, exitCode: 0 });
    const head = await git(backend, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], {
      cwd: dir,
      repo: dir,
      allowLocal,
      signal,
    });
    const base = head.ok ? head.stdout.trim() : undefined;
    repos.push({ url: r.url, cloneUrl, ref: r.ref, dir, github, base });
  }

  await input.restore?.(workspace, backend);

  for (const [i, command] of (input.existing
    ? []
    : (a.environment?.setup_commands ?? [])
  ).entries()) {
    const label = command;
    const finish = step("setup_command", label);
    const p = backend.spawn("sh", ["-c", command], { signal });
    p.stdin.end();
    const { status, tail } = await streamProcess(p, emit, `setup-${i + 1}`);
    if (status.exitCode !== 0) {
      const failure = fail(
        "setup_command",
        `setup command ${i + 1} \`${command}\``,
        status.exitCode,
        tail,
        signal,
      );
      finish({ ok: false, exitCode: status.exitCode, tail });
      return { ok: false, failure, backend };
    }
    finish({ ok: true, exitCode: 0 });
  }
  const before = !input.existing && !repos.length ? snapshotWorkspace(workspace) : undefined;
  return { ok: true, prepared: { workspace, env, repos, backend, before } };
}

/** The variables of this process that `names` (`--env NAME`) lets through; nothing else of it. */
const passedEnv = (names: string[] = []) =>
  Object.fromEntries(
    names.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k] as string]])),
  );

type StepEnd = { ok: boolean; exitCode?: number | null; tail?: string };

/** Emits a step's `started` event now and returns the function that emits its end. */
function startStep(emit: (e: HarnessEvent) => void) {
  return (phase: "workspace" | "env" | "clone" | "setup_command", name: string) => {
    const t0 = performance.now();
    emit({ type: "setup.step", payload: { phase, name, status: "started" } });
    return (end: StepEnd) =>
      emit({
        type: "setup.step",
        payload: {
          phase,
          name,
          status: end.ok ? "succeeded" : "failed",
          duration_ms: Math.round(performance.now() - t0),
          ...(end.exitCode !== undefined && end.exitCode !== null
            ? { exit_code: end.exitCode }
            : {}),
          ...(end.tail !== undefined ? { output_tail: end.tail } : {}),
        },
      });
  };
}

function fail(
  phase: SetupFailure["phase"],
  step: string,
  exitCode: number | null,
  tail: string,
  signal: AbortSignal,
): SetupFailure {
  const how = signal.aborted
    ? "was stopped (the run was cancelled)"
    : exitCode === null
      ? "was killed"
      : `exited with code ${exitCode}`;
  const shown = tail.trim().slice(-1_500);
  return {
    step,
    phase,
    exitCode,
    tail,
    message: `Environment setup failed: ${step} ${how}${shown ? `. Last output:\n${shown}` : ""}`,
  };
}
