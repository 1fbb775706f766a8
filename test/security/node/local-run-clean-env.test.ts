// Finding 9: `ambit agent run --local` handed the agent the caller's whole shell environment, the
// caller's own AMBIT_API_KEY among it (74 variables where a host gives 7). A LOCAL run's agent now
// gets a host's clean environment plus the run's variables and secrets, and a variable of the
// caller's shell only when named with `--env NAME`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Harness } from "../../../packages/runner/src/harness/types.ts";
import { runLocal } from "../../../packages/runner/src/local.ts";
import { startFakePlatform } from "../../fakes/platform.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
let dir = "";
const saved = { ...process.env };

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ambit-sec-local-env-"));
  // the caller's shell: their own key, and anything else they happen to have exported
  process.env.AMBIT_API_KEY = "ambit_callers_own_key_5d1e";
  process.env.CALLER_CLOUD_TOKEN = "caller-cloud-token-93ab";
  process.env.PASS_ME = "passed-on-purpose";
});
afterAll(() => {
  process.env = saved;
  rmSync(dir, { recursive: true, force: true });
});

/** A harness whose agent prints its whole environment, as any agent's shell could. */
const printEnv: Harness = {
  type: "ambit",
  async run(ctx) {
    const p = ctx.backend.spawn("sh", ["-c", "env"]);
    p.stdin.end();
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    await p.wait();
    ctx.emit({ type: "command.output", payload: { call_id: "env", stream: "stdout", chunk: out } });
    return { state: "SUCCEEDED", message: "printed" };
  },
};

async function agentEnv(passEnv?: string[]) {
  const platform = await startFakePlatform("run_local_env", {
    env_vars: { RUN_VAR: "from-run" },
    secrets: [{ name: "TEAM_SECRET", value: "team-secret-value" }],
  });
  try {
    const run = await runLocal({
      url: platform.url,
      apiKey: "k",
      runId: "run_local_env",
      dir,
      harnesses: { ambit: printEnv },
      passEnv,
      log: () => {},
    });
    const { final } = await run.done;
    expect(final?.state).toBe("SUCCEEDED");
    const printed = platform.events
      .filter((e) => e.type === "command.output" && e.payload.call_id === "env")
      .map((e) => e.payload.chunk)
      .join("");
    return Object.fromEntries(
      printed
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
  } finally {
    await platform.close();
  }
}

describe("finding 9: a LOCAL run's agent gets a clean environment", () => {
  it("AMBIT_API_KEY and other variables of the caller's shell do not reach the agent; the run's variables and secrets do", async () => {
    const env = await agentEnv();
    expect(env.AMBIT_API_KEY).toBeUndefined();
    expect(env.CALLER_CLOUD_TOKEN).toBeUndefined();
    expect(env.PASS_ME).toBeUndefined();
    expect(env.RUN_VAR).toBe("from-run");
    expect(env.TEAM_SECRET).toBe("[REDACTED:TEAM_SECRET]"); // it reached the agent; the stream hides its value
    expect(env.PATH).toBe(process.env.PATH);
    // a host's baseline and the run's own, nothing more
    expect(
      Object.keys(env).filter(
        (k) =>
          ![
            "PATH",
            "HOME",
            "LANG",
            "LC_ALL",
            "TZ",
            "TMPDIR",
            "TERM",
            "USER",
            "SHELL",
            "PWD",
            "SHLVL",
            "_",
            "OLDPWD",
            "RUN_VAR",
            "TEAM_SECRET",
          ].includes(k),
      ),
    ).toEqual([]);
  });

  it("--env NAME passes that one variable of the caller's shell through", async () => {
    const env = await agentEnv(["PASS_ME"]);
    expect(env.PASS_ME).toBe("passed-on-purpose");
    expect(env.AMBIT_API_KEY).toBeUndefined();
    expect(env.CALLER_CLOUD_TOKEN).toBeUndefined();
  });

  it("`ambit agent run` documents --env, and refuses it without --local", () => {
    const cli = (...args: string[]) => {
      try {
        return {
          code: 0,
          out: execFileSync(
            process.execPath,
            [path.join(ROOT, "packages/cli/src/main.ts"), ...args],
            {
              encoding: "utf8",
              stdio: ["ignore", "pipe", "pipe"],
              env: { ...process.env, AMBIT_API_KEY: "k", AMBIT_BASE_URL: "http://127.0.0.1:9" },
            },
          ),
        };
      } catch (err) {
        const e = err as { status: number; stdout: string; stderr: string };
        return { code: e.status, out: e.stdout + e.stderr };
      }
    };
    const help = cli("agent", "run", "--help");
    expect(help.out).toMatch(
      /--env <NAME>\s+with --local: pass this variable of your shell to the agent \(repeatable\)/,
    );
    const refused = cli("agent", "run", "-p", "x", "--env", "PASS_ME");
    expect(refused.code).toBe(2);
    expect(refused.out).toContain("--env is for --local runs");
  });
});
