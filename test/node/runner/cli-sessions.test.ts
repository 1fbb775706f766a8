// The real vendor CLIs (test/vendor-clis, installed by .ci/run) keep their sessions where the
// runner can carry them when they run in a container: the docker backend's CLI finds its state
// folder in the run's private directory (the container's own home is gone with it and out of the
// runner's reach). No Docker engine here: a process backend that says it is a container plays the
// docker backend's part (the same private directory, mounted at the same path in a container),
// so what is proven is the harness's side, the CLIs' own variables included.
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../../packages/runner/src/backends/types.ts";
import { createHarness } from "../../../packages/runner/src/harness/index.ts";
import { ROOT } from "../../../scripts/lib/wrangler-dev.ts";
import { type ModelServer, startModelServer } from "../../fakes/model-server.ts";
import { makeContext } from "./harness-context.ts";

const BIN = path.join(ROOT, "test/vendor-clis/node_modules/.bin");
const CLIS = {
  claude: {
    model: "claude-sonnet-4-5",
    env: (url: string) => ({ ANTHROPIC_API_KEY: "sk-ant-x", ANTHROPIC_BASE_URL: url }),
    shell: (command: string) => ({ name: "Bash", args: { command, description: "run it" } }),
    state: ".claude",
  },
  codex: {
    model: "gpt-5",
    env: (url: string) => ({ OPENAI_API_KEY: "sk-oa-x", OPENAI_BASE_URL: `${url}/v1` }),
    shell: (command: string) => ({ name: "exec_command", args: { cmd: command } }),
    state: ".codex",
  },
  gemini: {
    model: "gemini-2.5-pro",
    env: (url: string) => ({ GEMINI_API_KEY: "gm-x", GOOGLE_GEMINI_BASE_URL: url }),
    shell: (command: string) => ({ name: "run_shell_command", args: { command } }),
    state: ".gemini",
  },
  opencode: {
    model: "anthropic/claude-sonnet-4-5",
    env: (url: string) => ({ ANTHROPIC_API_KEY: "sk-ant-x", ANTHROPIC_BASE_URL: url }),
    shell: (command: string) => ({ name: "bash", args: { command, description: "run it" } }),
    // OpenCode's export and import run in the container like the CLI: its database is there
    state: null,
  },
} as const;
type Cli = keyof typeof CLIS;
const missing = (Object.keys(CLIS) as Cli[]).filter((c) => !existsSync(path.join(BIN, c)));
if (missing.length)
  console.warn(`cli-sessions.test.ts: skipping ${missing.join(", ")}: not in test/vendor-clis`);

let model: ModelServer;
// one home for every execution (OpenCode sets itself up there once, slowly); each execution's
// data folder its own (OpenCode's database: another container's is not there)
let home: string;
const turns: Record<string, number> = {};
beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), "ambit-cli-home-"));
  // each CLI's conversation by its prompt: a tool call, then text; a follow-up, then text
  model = await startModelServer((req) => {
    const body = JSON.stringify(req.body);
    const cli = /Write the (\w+) notes/.exec(body)?.[1] ?? "?";
    const n = (turns[cli] = (turns[cli] ?? 0) + 1);
    if (n === 1) return { toolCalls: [CLIS[cli as Cli].shell(`echo kept-${cli} > notes.txt`)] };
    return { text: n === 2 ? "Wrote notes.txt." : `Still there, ${cli}.` };
  });
});
afterAll(async () => {
  await model?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** The process backend, seen by the harness as a container (the docker backend's kind). */
const asContainer = (backend: Backend): Backend =>
  Object.assign(Object.create(backend) as Backend, { kind: "docker" });

describe.each(Object.keys(CLIS) as Cli[])("the real %s CLI in a container", (cli) => {
  const setup = CLIS[cli];
  const config = { harness: { type: cli, model_id: setup.model } } as const;
  const PATH = [BIN, path.dirname(process.execPath)];

  it.skipIf(missing.includes(cli))(
    "keeps its session in the private directory; a new container resumes it",
    async () => {
      const first = makeContext({ prompt: `Write the ${cli} notes`, config, path: PATH });
      const second = makeContext({ prompt: `Write the ${cli} notes`, config, path: PATH });
      try {
        let saved: unknown = null;
        const env = { ...setup.env(model.url), HOME: home };
        Object.assign(first.ctx.env, env, { XDG_DATA_HOME: first.home });
        first.ctx.backend = asContainer(first.ctx.backend);
        first.ctx.saveConversation = (state) => (saved = state);
        const one = await createHarness(cli)!.run(first.ctx);
        expect(one, JSON.stringify(first.events).slice(-2000)).toMatchObject({
          state: "SUCCEEDED",
        });
        expect(saved, "the session was kept").toMatchObject({ session_id: expect.any(String) });
        const files = (saved as { files: { path: string; content: string }[] }).files;
        expect(files.length).toBeGreaterThan(0);
        expect(files.map((f) => f.content).join("")).toContain(`kept-${cli}`);
        // nothing of it in the home the container's would be (gone with it)
        if (setup.state) expect(existsSync(path.join(home, setup.state))).toBe(false);

        // the next execution: another container, another workspace path, another private dir
        await first.dispose();
        Object.assign(second.ctx.env, env, { XDG_DATA_HOME: second.home });
        second.ctx.backend = asContainer(second.ctx.backend);
        second.ctx.resume = {
          reason: "followup",
          checkpointAt: new Date().toISOString(),
          conversation: { harness: cli, state: saved },
        };
        second.followup("Is notes.txt still there?");
        const before = model.requests.length;
        const two = await createHarness(cli)!.run(second.ctx);
        expect(two, JSON.stringify(second.events).slice(-2000)).toEqual({
          state: "SUCCEEDED",
          message: `Still there, ${cli}.`,
        });
        // the resumed CLI sent the first execution's turn with the follow-up
        const asked = model.requests.slice(before).map((r) => JSON.stringify(r.body));
        expect(asked).toHaveLength(1);
        expect(asked[0]).toContain(`kept-${cli}`);
        expect(asked[0]).toContain("Wrote notes.txt.");
        expect(asked[0]).toContain("Is notes.txt still there?");
      } finally {
        await first.dispose();
        await second.dispose();
      }
    },
    120_000,
  );
});

// the files put back never leave the CLI's state folder, whatever the checkpoint says
it("a saved session path out of the CLI's state folder is refused", async () => {
  const run = makeContext({ prompt: "p", config: { harness: { type: "codex" } } });
  try {
    const { restoreSession } = await import("../../../packages/runner/src/harness/cli/sessions.ts");
    const { codexSpec } = await import("../../../packages/runner/src/harness/cli/codex.ts");
    run.ctx.resume = {
      reason: "followup",
      checkpointAt: new Date().toISOString(),
      conversation: {
        harness: "codex",
        state: { session_id: "x", files: [{ path: "../../escaped.txt", content: "no" }] },
      },
    };
    expect(await restoreSession(codexSpec, run.ctx)).toBeUndefined();
    expect(existsSync(path.join(path.dirname(run.home), "escaped.txt"))).toBe(false);
  } finally {
    await run.dispose();
  }
});

it("Gemini CLI's project folder: the registry's, else ours claimed by a marker", async () => {
  const { geminiProject } = await import("../../../packages/runner/src/harness/cli/sessions.ts");
  const root = mkdtempSync(path.join(tmpdir(), "ambit-gemini-root-"));
  try {
    const ours = geminiProject(root, "/work/runs/r1.2");
    expect(ours).toMatch(/^ambit-[0-9a-f]{12}$/);
    expect(geminiProject(root, "/work/runs/r1.2/")).toBe(ours);
    expect(geminiProject(root, "/work/runs/r1.3")).not.toBe(ours);
    // a directory the CLI has worked in already: its folder, where `--resume` looks
    writeFileSync(
      path.join(root, "projects.json"),
      JSON.stringify({ projects: { "/work/runs/r1.2": "r1-2", "/x": "../escape" } }),
    );
    expect(geminiProject(root, "/work/runs/r1.2")).toBe("r1-2");
    expect(geminiProject(root, "/x")).toMatch(/^ambit-/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

it("a session left in two folders of this host is kept once, the last written", async () => {
  const { saveSession } = await import("../../../packages/runner/src/harness/cli/sessions.ts");
  const { claudeSpec } = await import("../../../packages/runner/src/harness/cli/claude.ts");
  const run = makeContext({ prompt: "p", config: { harness: { type: "claude" } } });
  try {
    const id = "5e551011-aaaa-bbbb-cccc-000000000001";
    for (const [dir, content, at] of [
      ["-old-run-1", "stale", 1_000],
      ["-old-run-2", "latest", 2_000],
    ] as const) {
      const file = path.join(run.home, ".claude", "projects", dir, `${id}.jsonl`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      utimesSync(file, at, at);
    }
    let saved: any = null;
    run.ctx.saveConversation = (state) => (saved = state);
    await saveSession(claudeSpec, run.ctx, id);
    expect(saved).toEqual({
      session_id: id,
      files: [{ path: path.join("projects", "-old-run-2", `${id}.jsonl`), content: "latest" }],
    });
  } finally {
    await run.dispose();
  }
});
