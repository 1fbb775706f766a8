import { mkdirSync } from "node:fs";
import path from "node:path";
import type { TaskAssignment } from "@ambit/protocol";
import { baselineEnv } from "../backends/process.ts";
import type { Backend } from "../backends/types.ts";
import type { HarnessEvent } from "../harness/types.ts";
import { cloneUrlOf, git, gitAuthEnv, githubRepoOf, repoDirName } from "./git.ts";
import { streamProcess, Tail } from "./output.ts";

export type PreparedRepo = { url: string; cloneUrl: string; ref?: string; dir: string; github: string | null };

export type Prepared = { workspace: string; env: Record<string, string>; repos: PreparedRepo[]; backend: Backend };

export type SetupFailure = { step: string; phase: "workspace" | "clone" | "setup_command"; exitCode: number | null; tail: string; message: string };

export type PrepareInput = {
  assignment: TaskAssignment;
  /** a directory that does not exist yet; it becomes the run's workspace */
  workspace: string;
  /**
   * The workspace is an existing directory used as it is (a LOCAL run: the user's checkout): no
   * `artifacts/` folder, no clones, no setup commands, and the whole environment of this process
   * (the user's) below the run's variables and secrets instead of the baseline.
   */
  existing?: boolean;
  makeBackend: (workspace: string, env: Record<string, string>) => Promise<Backend>;
  emit: (e: HarnessEvent) => void;
  signal: AbortSignal;
};

/** The run's whole environment: a baseline of this machine, then the environment's and the run's variables, then secrets. */
export function runEnv(a: TaskAssignment, base: Record<string, string> = baselineEnv()): Record<string, string> {
  return {
    ...base,
    ...(a.environment?.env_vars ?? {}),
    ...a.env_vars,
    ...Object.fromEntries(a.secrets.map((s) => [s.name, s.value])),
  };
}

/**
 * Prepares a run: a fresh workspace, every repository of its environment cloned (and checked out
 * at its `ref`), variables and secrets applied, then the setup commands in order through the
 * backend. Each step is a `setup.step` event (started, then succeeded or failed with its duration,
 * exit code and output tail); output streams as `command.output`. The first failing step ends it.
 */
export async function prepareRun(input: PrepareInput): Promise<{ ok: true; prepared: Prepared } | { ok: false; failure: SetupFailure; backend?: Backend }> {
  const { assignment: a, workspace, emit, signal } = input;
  const step = startStep(emit);

  let done = step("workspace", input.existing ? `${workspace} (this directory, as it is)` : workspace);
  if (!input.existing) mkdirSync(path.join(workspace, "artifacts"), { recursive: true });
  done({ ok: true });

  const env = runEnv(a, input.existing ? userEnv() : baselineEnv());
  done = step("env", `${Object.keys(env).length} variables (${a.secrets.length} secrets: ${a.secrets.map((s) => s.name).join(", ") || "none"})`);
  done({ ok: true });

  const repos: PreparedRepo[] = [];
  const taken = new Set<string>(["artifacts"]);
  const auth = gitAuthEnv(env.GITHUB_TOKEN);
  for (const [i, r] of (input.existing ? [] : (a.environment?.repositories ?? [])).entries()) {
    const cloneUrl = cloneUrlOf(r.url);
    let name = repoDirName(cloneUrl);
    while (taken.has(name)) name = `${name}-${i + 1}`;
    taken.add(name);
    const dir = path.join(workspace, name);
    const github = githubRepoOf(cloneUrl);
    const label = `clone ${r.url}${r.ref ? `@${r.ref}` : ""}`;
    const finish = step("clone", label);
    const tail = new Tail();
    const callId = `setup-clone-${i + 1}`;
    const onOutput = (stream: "stdout" | "stderr", chunk: string) => emit({ type: "command.output", payload: { call_id: callId, stream, chunk } });
    const gitEnv = { ...baselineEnv(), ...(github ? auth : {}) };
    let res = await git(["clone", "--quiet", cloneUrl, dir], { cwd: workspace, env: gitEnv, signal, tail, onOutput });
    if (res.ok && r.ref) res = await git(["-c", "advice.detachedHead=false", "checkout", "--quiet", r.ref], { cwd: dir, env: gitEnv, signal, tail, onOutput });
    if (!res.ok) {
      const failure = fail("clone", label, res.exitCode, tail.toString(), signal);
      finish({ ok: false, exitCode: res.exitCode, tail: failure.tail });
      return { ok: false, failure };
    }
    finish({ ok: true, exitCode: 0 });
    repos.push({ url: r.url, cloneUrl, ref: r.ref, dir, github });
  }

  let backend: Backend;
  try {
    backend = await input.makeBackend(workspace, env);
  } catch (err) {
    // e.g. the docker backend's image is missing: a failed step saying what to do, not a crashed run
    const why = (err as Error).message;
    const label = "start the run's isolation backend";
    step("workspace", label)({ ok: false, tail: why });
    return { ok: false, failure: { step: label, phase: "workspace", exitCode: null, tail: why, message: `Environment setup failed: ${why}` } };
  }
  for (const [i, command] of (input.existing ? [] : (a.environment?.setup_commands ?? [])).entries()) {
    const label = command;
    const finish = step("setup_command", label);
    const p = backend.spawn("sh", ["-c", command], { signal });
    p.stdin.end();
    const { status, tail } = await streamProcess(p, emit, `setup-${i + 1}`);
    if (status.exitCode !== 0) {
      const failure = fail("setup_command", `setup command ${i + 1} \`${command}\``, status.exitCode, tail, signal);
      finish({ ok: false, exitCode: status.exitCode, tail });
      return { ok: false, failure, backend };
    }
    finish({ ok: true, exitCode: 0 });
  }
  return { ok: true, prepared: { workspace, env, repos, backend } };
}

/** This process's whole environment (a LOCAL run runs with the user's). */
const userEnv = () => Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));

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
          ...(end.exitCode !== undefined && end.exitCode !== null ? { exit_code: end.exitCode } : {}),
          ...(end.tail !== undefined ? { output_tail: end.tail } : {}),
        },
      });
  };
}

function fail(phase: SetupFailure["phase"], step: string, exitCode: number | null, tail: string, signal: AbortSignal): SetupFailure {
  const how = signal.aborted ? "was stopped (the run was cancelled)" : exitCode === null ? "was killed" : `exited with code ${exitCode}`;
  const shown = tail.trim().slice(-1_500);
  return {
    step,
    phase,
    exitCode,
    tail,
    message: `Environment setup failed: ${step} ${how}${shown ? `. Last output:\n${shown}` : ""}`,
  };
}
