// The README's quick start, run as a newcomer runs it: `npm start` (the literal npm script, on a
// free port and its own state), the two `export` lines it prints, then the CLI block the README
// marks `quickstart:cli`, line for line, in bash with `set -e` on a pseudo-terminal (script(1)), as
// in a terminal: `agent run` follows the run live there. The only outside service is the
// model: the test's scripted OpenAI-compatible server, named by OPENAI_BASE_URL in npm start's
// environment (which the README documents), with a fake OPENAI_API_KEY in the shell.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { freePort, ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { type ModelServer, startModelServer } from "../fakes/model-server.ts";
import { api } from "./helpers.ts";
import {
  alive,
  KEY_RE,
  processTree,
  RUNNING_RE,
  type Started,
  startPlatform,
} from "./platform-process.ts";

const FAKE_OPENAI_KEY = "sk-quickstart-0b6c2f1e9d";

/** The commands of the README block introduced by `<!-- quickstart:cli … -->`. */
function quickstartCommands(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const m = readme.match(/<!-- quickstart:cli[^>]*-->\s*```sh\n([\s\S]*?)```/);
  if (!m) throw new Error("README.md has no ```sh block after <!-- quickstart:cli -->");
  return m[1].split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
}

/** The README's commands that list and save a run's kept files (`npx ambit artifact …`). */
function artifactCommands(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/^npx ambit artifact .*$/gm)].map((m) => m[0].replace(/\s+#.*$/, ""));
}

let model: ModelServer;
let platform: Started | undefined;
let stateDir: string;
let pids: number[] = [];

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-quickstart-"));
  model = await startModelServer([
    {
      toolCalls: [{ name: "write_file", args: { path: "hello.txt", content: "hello\n" } }],
      usage: { input: 90, output: 20 },
    },
    { text: "Created hello.txt.", usage: { input: 120, output: 6 } },
  ]);
  await buildCli(); // what `npm install` did (the `prepare` script); this test may run on a changed tree
});

afterAll(async () => {
  if (platform?.child.pid && alive(platform.child.pid)) {
    pids = processTree(platform.child.pid);
    process.kill(-platform.child.pid, "SIGTERM");
    await Promise.race([platform.exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
  await model?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe("the README quick start", () => {
  it("npm start, the printed exports, then the CLI block as written: the run succeeds and is listed", async () => {
    const port = await freePort();
    platform = startPlatform(
      { PORT: String(port), AMBIT_PERSIST_TO: stateDir, OPENAI_BASE_URL: `${model.url}/v1` },
      ["npm", "start"],
    );
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

    const commands = quickstartCommands();
    expect(commands.length).toBeGreaterThanOrEqual(2);
    const configHome = mkdtempSync(path.join(tmpdir(), "ambit-quickstart-config-"));
    const scriptFile = path.join(configHome, "quickstart.sh");
    writeFileSync(scriptFile, ["set -euo pipefail", ...exports, ...commands, ""].join("\n"));
    const shell = spawn("script", ["-q", "-e", "-f", "-c", `bash ${scriptFile}`, "/dev/null"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? tmpdir(),
        TERM: "xterm",
        XDG_CONFIG_HOME: configHome,
        NO_COLOR: "1",
        OPENAI_API_KEY: FAKE_OPENAI_KEY,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    shell.stdout.on("data", (d) => (out += d));
    shell.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((r) => shell.once("close", r));
    rmSync(configHome, { recursive: true, force: true });
    expect(code, out).toBe(0);

    // the agent ran against the model with the team secret the first line stored
    expect(model.requests.length, out).toBe(2);
    expect(model.requests[0].headers.authorization).toBe(`Bearer ${FAKE_OPENAI_KEY}`);
    expect(out).toContain("write_file");
    expect(out).toMatch(/SUCCEEDED/);
    expect(out).not.toContain(FAKE_OPENAI_KEY);

    const key = exports[0].split("=")[1];
    expect(key).toMatch(KEY_RE);
    const runs = await api(`http://localhost:${port}`, "GET", "/api/v1/agent/runs", { key });
    expect(runs.json.runs).toHaveLength(1);
    const [run] = runs.json.runs;
    expect(run).toMatchObject({
      prompt: "Create hello.txt that says hello",
      state: "SUCCEEDED",
      source: "CLI",
    });
    expect(out).toContain(run.run_id); // `run list` printed it

    // the file the agent created outlives the workspace: the live view named how to save it, and
    // the README's two commands (placeholders filled in, outside the repository) list and save it
    const uid = out.match(/artifact FILE hello\.txt: ambit artifact download (\S+)/)?.[1];
    expect(uid, out).toBeDefined();
    const [list, download] = artifactCommands();
    expect([list, download]).toEqual([
      "npx ambit artifact list <run-id>",
      "npx ambit artifact download <uid>",
    ]);
    const here = mkdtempSync(path.join(tmpdir(), "ambit-quickstart-download-"));
    const ambit = (command: string) => {
      const argv = command
        .replace("<run-id>", run.run_id)
        .replace("<uid>", uid!)
        .split(" ")
        .slice(2);
      const env = {
        PATH: process.env.PATH ?? "",
        HOME: here,
        XDG_CONFIG_HOME: here,
        AMBIT_API_KEY: key,
        AMBIT_BASE_URL: `http://localhost:${port}`,
      };
      return execFileSync(
        process.execPath,
        [path.join(ROOT, "packages/cli/dist/ambit.js"), ...argv],
        { cwd: here, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );
    };
    expect(ambit(list)).toMatch(
      new RegExp(`${uid}\\s+FILE\\s+hello\\.txt\\s+6 B\\s+Created by the run`),
    );
    ambit(download);
    expect(readdirSync(here)).toContain("hello.txt");
    expect(readFileSync(path.join(here, "hello.txt"), "utf8")).toBe("hello\n");
    rmSync(here, { recursive: true, force: true });
  }, 240_000);
});
