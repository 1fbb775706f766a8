// "No model key?": `npm run fake-model` as a newcomer meets it. The script runs as its own process;
// the test reads the base URL and the commands it prints, runs them as printed (with the two
// `export` lines `npm start` printed) in bash on a pseudo-terminal, against `npm start`'s platform
// and local runner, and the run ends SUCCEEDED. Nothing else stands in for a model.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { freePort, ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { api } from "./helpers.ts";
import {
  alive,
  KEY_RE,
  processTree,
  RUNNING_RE,
  type Started,
  startPlatform,
} from "./platform-process.ts";

// what the platform and runner would otherwise read: the fake must be the only model in play
const NO_MODEL = {
  OPENAI_API_KEY: "",
  OPENAI_BASE_URL: "",
  ANTHROPIC_API_KEY: "",
  ANTHROPIC_BASE_URL: "",
};

let platform: Started | undefined;
let fake: ChildProcess | undefined;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-fake-model-"));
  await buildCli(); // what `npm install` did
});

afterAll(async () => {
  for (const p of [platform?.child, fake]) {
    if (!p?.pid || !alive(p.pid)) continue;
    const pids = processTree(p.pid);
    process.kill(-p.pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    if (p === platform?.child)
      await Promise.race([platform.exited, new Promise((r) => setTimeout(r, 20_000))]);
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
  }
  rmSync(stateDir, { recursive: true, force: true });
});

describe("npm run fake-model", () => {
  it("prints its URL and the commands; run as printed, a run against it SUCCEEDS", async () => {
    fake = spawn("npm", ["run", "fake-model"], {
      cwd: ROOT,
      env: { ...process.env, ...NO_MODEL },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let fakeOut = "";
    fake.stdout!.on("data", (d) => (fakeOut += d));
    fake.stderr!.on("data", (d) => (fakeOut += d));
    const deadline = Date.now() + 30_000;
    while (!/Press Ctrl-C/.test(fakeOut) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const base = fakeOut.match(/at (http:\/\/127\.0\.0\.1:\d+\/v1)\s*$/m)?.[1];
    expect(base, fakeOut).toBeDefined();
    const printed = fakeOut
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("printf ") || l.startsWith("npx ambit agent run"));
    expect(printed, fakeOut).toEqual([
      `printf %s ${base} | npx ambit secret set OPENAI_BASE_URL`,
      expect.stringMatching(/^npx ambit agent run -p "/),
    ]);

    const port = await freePort();
    platform = startPlatform({ PORT: String(port), AMBIT_PERSIST_TO: stateDir, ...NO_MODEL }, [
      "npm",
      "start",
    ]);
    await platform.waitForOutput(RUNNING_RE, 120_000);
    await platform.waitForOutput(/host runner connected as the platform pool/, 10_000);
    const exports =
      platform
        .output()
        .match(/^\s*export AMBIT_[A-Z_]+=\S+$/gm)
        ?.map((l) => l.trim()) ?? [];
    expect(
      exports.map((l) => l.split("=")[0]),
      platform.output(),
    ).toEqual(["export AMBIT_API_KEY", "export AMBIT_BASE_URL"]);

    const configHome = mkdtempSync(path.join(tmpdir(), "ambit-fake-model-config-"));
    const scriptFile = path.join(configHome, "try.sh");
    writeFileSync(scriptFile, ["set -euo pipefail", ...exports, ...printed, ""].join("\n"));
    const shell = spawn("script", ["-q", "-e", "-f", "-c", `bash ${scriptFile}`, "/dev/null"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? tmpdir(),
        TERM: "xterm",
        XDG_CONFIG_HOME: configHome,
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    shell.stdout.on("data", (d) => (out += d));
    shell.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((r) => shell.once("close", r));
    rmSync(configHome, { recursive: true, force: true });
    expect(code, `${out}\n--- fake-model:\n${fakeOut}`).toBe(0);
    expect(out).toMatch(/SUCCEEDED/);
    expect(out).toContain("scripted model server");
    expect(fakeOut).toMatch(/\[fake-model\] \/v1\/chat\/completions/);

    const key = exports[0].split("=")[1];
    expect(key).toMatch(KEY_RE);
    const runs = await api(`http://localhost:${port}`, "GET", "/api/v1/agent/runs", { key });
    expect(runs.json.runs).toHaveLength(1);
    expect(runs.json.runs[0]).toMatchObject({ state: "SUCCEEDED", source: "CLI" });
  }, 240_000);
});
