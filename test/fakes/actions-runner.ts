// A GitHub Actions runner as far as one JavaScript action step sees it: the step's environment
// (INPUT_* from `with:`, the GITHUB_* context, fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files),
// the action's entry run with Node, and the files read back the way the runner reads them.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export type StepResult = {
  code: number | null;
  stdout: string;
  stderr: string;
  /** `$GITHUB_OUTPUT` parsed (`name=value` and `name<<DELIM` forms) */
  outputs: Record<string, string>;
  /** `$GITHUB_STEP_SUMMARY` as written */
  summary: string;
};

/** The context every step of a `push` workflow run of `o/r` gets. */
export const GITHUB_CONTEXT = {
  CI: "true",
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_API_URL: "https://api.github.com",
  GITHUB_REPOSITORY: "acme/widgets",
  GITHUB_REPOSITORY_OWNER: "acme",
  GITHUB_RUN_ID: "987654321",
  GITHUB_RUN_NUMBER: "17",
  GITHUB_RUN_ATTEMPT: "1",
  GITHUB_SHA: "3f786850e387550fdab836ed7e6dc881de23001b",
  GITHUB_REF: "refs/heads/main",
  GITHUB_REF_NAME: "main",
  GITHUB_EVENT_NAME: "push",
  GITHUB_WORKFLOW: "agent",
  GITHUB_JOB: "run",
  GITHUB_ACTION: "ambit",
  GITHUB_ACTOR: "octocat",
  RUNNER_OS: "Linux",
};

/** `$GITHUB_OUTPUT` read back as the runner reads it. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]);
      if (i === lines.length) throw new Error(`output ${name}: no closing ${delim}`);
      out[name] = value.join("\n");
    } else {
      const eq = line.indexOf("=");
      if (eq < 0) throw new Error(`not an output line: ${line}`);
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

/**
 * Runs `entry` (an action's `runs.main`) as a step with `inputs` (the `with:` map: names as in
 * action.yml) and the GitHub context (plus `env`). `onStart` gets the child, e.g. to signal it.
 */
export async function runActionStep(
  entry: string,
  inputs: Record<string, string>,
  opts: { env?: Record<string, string>; onStart?: (child: ChildProcess) => void } = {},
): Promise<StepResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "ambit-actions-step-"));
  const outputFile = path.join(dir, "output");
  const summaryFile = path.join(dir, "summary");
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replaceAll(" ", "_").toUpperCase()}`, v]),
  );
  try {
    const child = spawn(process.execPath, [entry], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        ...GITHUB_CONTEXT,
        RUNNER_TEMP: dir,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        ...opts.env,
        ...inputEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    opts.onStart?.(child);
    const code = await new Promise<number | null>((r) => child.once("close", (c) => r(c)));
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputFile(readFileSync(outputFile, "utf8")),
      summary: readFileSync(summaryFile, "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
