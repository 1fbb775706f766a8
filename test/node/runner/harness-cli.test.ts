import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkCliVersions,
  judgeVersion,
  TESTED_CLIS,
} from "../../../packages/runner/src/harness/cli/versions.ts";
import { createHarness } from "../../../packages/runner/src/harness/index.ts";
import { alive, FAKES, makeContext } from "./harness-context.ts";

let run: ReturnType<typeof makeContext> | undefined;
afterEach(async () => {
  await run?.dispose();
  run = undefined;
});

const BIN = path.join(FAKES, "bin");
const logged = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Logged);
type Logged = {
  bin: string;
  argv: string[];
  cmdline: string;
  key: string | null;
  mcp: Record<string, unknown> | null;
  mcpFile: { path: string; mode: number; text?: string } | null;
};
const SECRET = "ghp_s3cr3t-value";

const cases = [
  {
    type: "claude",
    env: { ANTHROPIC_API_KEY: "sk-ant-1" },
    flags: ["-p", "fix the bug", "--output-format", "stream-json", "--verbose"],
    usage: {
      model_id: "claude-sonnet-4-5-20250929",
      input_tokens: 1200,
      output_tokens: 85,
      cache_read_tokens: 300,
    },
    tool: "Bash",
    category: "command",
    messages: ["I'll look at the workspace.", "done: fix the bug"],
  },
  {
    type: "codex",
    env: { OPENAI_API_KEY: "sk-oa-1" },
    flags: [
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--sandbox",
      "workspace-write",
      "fix the bug",
    ],
    usage: { input_tokens: 24763, output_tokens: 122, cache_read_tokens: 24448 },
    tool: "shell",
    category: "command",
    messages: ["done: fix the bug"],
  },
  {
    type: "gemini",
    env: { GEMINI_API_KEY: "gm-1" },
    flags: ["-p", "fix the bug", "--output-format", "stream-json", "--yolo", "--skip-trust"],
    usage: {
      model_id: "gemini-2.5-pro",
      input_tokens: 5200,
      output_tokens: 200,
      cache_read_tokens: 1000,
    },
    tool: "run_shell_command",
    category: "command",
    messages: ["Let me list the files.", "done: fix the bug"],
  },
  {
    type: "opencode",
    env: { ANTHROPIC_API_KEY: "sk-ant-2" },
    flags: ["run", "--format", "json", "fix the bug"],
    usage: { input_tokens: 900, output_tokens: 40 },
    tool: "bash",
    category: "command",
    messages: ["done: fix the bug"],
  },
] as const;

describe("CLI harnesses", () => {
  for (const c of cases) {
    it(`${c.type}: runs the CLI headless in the workspace and normalizes its JSON stream`, async () => {
      run = makeContext({ prompt: "fix the bug", env: { ...c.env }, path: [BIN] });
      const log = path.join(run.home, "cli.log");
      run.ctx.env.FAKE_CLI_LOG = log;
      const harness = createHarness(c.type)!;
      const outcome = await harness.run(run.ctx);
      expect(outcome).toEqual({ state: "SUCCEEDED", message: "done: fix the bug" });

      const [call] = logged(log);
      expect(call.bin).toBe(c.type);
      expect(call.argv.join(" ")).toContain(c.flags.join(" "));
      expect(run.of("agent.message").map((m) => m.text)).toEqual(c.messages);
      const [toolCall] = run.of("agent.tool_call");
      expect(toolCall).toMatchObject({ name: c.tool, category: c.category });
      const [result] = run.of("agent.tool_result");
      expect(result).toMatchObject({ call_id: toolCall.call_id, state: "completed" });
      expect(JSON.stringify(result.output)).toContain("README.md");
      expect(run.of("usage")[0]).toEqual(c.usage);
    });

    it(`${c.type}: the CLI's own failure ends FAILED with its message`, async () => {
      run = makeContext({ prompt: "x", env: { ...c.env, FAKE_CLI_FAIL: "1" }, path: [BIN] });
      const outcome = await createHarness(c.type)!.run(run.ctx);
      expect(outcome.state).toBe("FAILED");
      expect(outcome.message).toMatch(
        new RegExp(
          `^${c.type} exited with code 1 after \\d+ s: .*(API key|api-key|Unauthorized|login)`,
          "i",
        ),
      );
    });
  }

  it("claude: a refused key ends FAILED model_auth_failed at the CLI's first retry notice, shown as a log event", async () => {
    const env = { ANTHROPIC_API_KEY: "sk-bad", FAKE_CLI_API_STATUS: "401" };
    run = makeContext({ prompt: "x", env, path: [BIN] });
    const started = Date.now();
    const outcome = await createHarness("claude")!.run(run.ctx);
    // the stand-in retries every 30 s for 10 attempts, as Claude Code does for minutes
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(outcome).toMatchObject({ state: "FAILED", error_code: "model_auth_failed" });
    expect(outcome.message).toMatch(/^claude was stopped after \d+ s: Claude Code could not use/);
    expect(outcome.message).toContain("HTTP 401, the key was refused");
    expect(outcome.message).toContain("Fix the team secret ANTHROPIC_API_KEY");
    expect(run.of("log")).toEqual([
      expect.objectContaining({ level: "warning", source: "claude" }),
    ]);
    expect(run.of("log")[0].message).toContain("attempt 1 of 10, HTTP 401");
  });

  it("claude: an API error in a result whose subtype is success ends FAILED naming the model, without ANSI codes", async () => {
    for (const [status, want] of [
      ["404", /HTTP 404, no model "claude-x" there/],
      ["400", /HTTP 400 \(Invalid API key · Fix external API key\)/],
    ] as const) {
      run = makeContext({
        prompt: "x",
        config: { harness: { type: "claude", model_id: "claude-x" } },
        env: { ANTHROPIC_API_KEY: "k", FAKE_CLI_API_STATUS: status },
        path: [BIN],
      });
      const outcome = await createHarness("claude")!.run(run.ctx);
      expect(outcome.state).toBe("FAILED");
      expect(outcome.message).toMatch(want);
      expect(outcome.message).not.toContain("\u001b");
      await run.dispose();
    }
  });

  it("codex: warnings and reconnect notices are log events, not errors; a refused key ends FAILED model_auth_failed at once", async () => {
    const env = { OPENAI_API_KEY: "sk-bad", FAKE_CLI_API_STATUS: "401" };
    run = makeContext({ prompt: "x", env, path: [BIN] });
    const started = Date.now();
    const outcome = await createHarness("codex")!.run(run.ctx);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(outcome).toMatchObject({ state: "FAILED", error_code: "model_auth_failed" });
    expect(outcome.message).toContain("Codex could not use the model API: HTTP 401");
    expect(run.of("error")).toEqual([]);
    const logs = run.of("log").map((l) => l.message);
    expect(logs).toEqual([
      expect.stringContaining("Model metadata for `gpt-x` not found"),
      expect.stringContaining("Reconnecting... 1/5"),
    ]);
  });

  it("at start the runner logs each installed CLI's version, plainly when it is outside the tested range", async () => {
    const logs: Record<string, unknown>[] = [];
    const env = { PATH: `${BIN}:${process.env.PATH}`, FAKE_CLI_VERSION: "codex-cli 0.171.4" };
    const found = await checkCliVersions((e) => logs.push(e), env);
    // every stand-in answers 0.171.4 here: a later patch of Codex's tested minor, nobody else's
    expect(found.map((c) => [c.cli, c.inRange])).toEqual([
      ["claude", false],
      ["codex", true],
      ["gemini", false],
      ["opencode", false],
    ]);
    expect(found[0]).toMatchObject({ version: "0.171.4", tested: TESTED_CLIS.claude });
    const warned = logs.filter((l) => l.level === "warning").map((l) => l.msg);
    expect(warned).toHaveLength(3);
    expect(logs.find((l) => l.cli === "codex")).toMatchObject({ msg: "vendor CLI" });
    expect(warned[1]).toContain(
      "vendor CLI gemini 0.171.4 is outside the tested range (0.61.x, tested 0.61.0)",
    );
    expect(judgeVersion("claude", "2.1.340 (Claude Code)").inRange).toBe(true);
    expect(judgeVersion("claude", "2.2.0 (Claude Code)").inRange).toBe(false);
    // a CLI that is not installed is left out
    expect(await checkCliVersions(() => {}, { PATH: "/nonexistent-bin" })).toEqual([]);
    // one that names no version (asked three times) is "unknown", not in range, and said so
    const quiet: Record<string, unknown>[] = [];
    const unknown = await checkCliVersions((e) => quiet.push(e), {
      PATH: `${BIN}:${process.env.PATH}`,
      FAKE_CLI_VERSION: "",
    });
    expect(unknown.find((c) => c.cli === "gemini")).toMatchObject({
      version: "unknown",
      inRange: false,
    });
    expect(quiet.find((l) => l.cli === "gemini")?.msg).toContain(
      "vendor CLI gemini did not say its version (`--version` printed none), so it may be outside the tested range (0.61.x, tested 0.61.0)",
    );
  });

  it("a missing CLI ends FAILED with how to install it", async () => {
    run = makeContext({ prompt: "x", env: { ANTHROPIC_API_KEY: "k", PATH: "/nonexistent-bin" } });
    const outcome = await createHarness("claude")!.run(run.ctx);
    expect(outcome).toMatchObject({ state: "FAILED", error_code: "environment_setup_failed" });
    expect(outcome.message).toBe(
      "the claude CLI is not installed where this run executes (process backend): install Claude Code on the host (npm i -g @anthropic-ai/claude-code) or in the environment's image",
    );
  });

  it("missing credentials end FAILED naming the secret to add; harness_auth_secrets picks the secret", async () => {
    run = makeContext({ prompt: "x", path: [BIN] });
    const none = await createHarness("codex")!.run(run.ctx);
    expect(none).toMatchObject({ state: "FAILED", error_code: "integration_not_configured" });
    expect(none.message).toContain(
      "add a team secret named OPENAI_API_KEY (type openai_api_key), set agent_config.harness_auth_secrets.codex_auth_secret_name",
    );

    run.ctx.config = { harness_auth_secrets: { claude_auth_secret_name: "MY_CLAUDE" } };
    expect((await createHarness("claude")!.run(run.ctx)).message).toContain(
      "harness_auth_secrets.claude_auth_secret_name names the secret MY_CLAUDE, which this run does not have",
    );

    const log = path.join(run.home, "auth.log");
    Object.assign(run.ctx.env, { MY_CLAUDE: "sk-ant-api03-team", FAKE_CLI_LOG: log });
    expect((await createHarness("claude")!.run(run.ctx)).state).toBe("SUCCEEDED");
    expect(logged(log)[0].key).toBe("sk-ant-api03-team");
  });

  it("a follow-up that arrived during the run resumes the CLI's session", async () => {
    run = makeContext({ prompt: "first task", env: { ANTHROPIC_API_KEY: "k" }, path: [BIN] });
    const log = path.join(run.home, "resume.log");
    run.ctx.env.FAKE_CLI_LOG = log;
    run.followup("and also this");
    const outcome = await createHarness("claude")!.run(run.ctx);
    expect(outcome).toEqual({
      state: "SUCCEEDED",
      message: "resumed 9f1c2d3e-claude-session: and also this",
    });
    const calls = logged(log);
    expect(calls).toHaveLength(2);
    expect(calls[1].argv).toEqual(
      expect.arrayContaining(["--resume", "9f1c2d3e-claude-session", "-p", "and also this"]),
    );
  });

  it("codex: a resumed thread's usage is what the follow-up's turn added, not the thread's totals again", async () => {
    run = makeContext({ prompt: "first task", env: { OPENAI_API_KEY: "k" }, path: [BIN] });
    run.followup("and also this");
    expect((await createHarness("codex")!.run(run.ctx)).state).toBe("SUCCEEDED");
    const turn = { input_tokens: 24763, output_tokens: 122, cache_read_tokens: 24448 };
    expect(run.of("usage")).toEqual([expect.objectContaining(turn), expect.objectContaining(turn)]);
  });

  it("model and MCP servers reach Claude Code in a private file, resolved; no secret in its argv; the file is gone after", async () => {
    run = makeContext({
      prompt: "x",
      config: {
        harness: { type: "claude", model_id: "claude-opus-4" },
        mcp_servers: {
          gh: { command: "gh-mcp", env: { TOKEN: "${GH}", MODE: "ro" } },
          docs: { url: "https://docs.example/mcp", headers: { authorization: "Bearer ${GH}" } },
        },
      },
      env: { ANTHROPIC_API_KEY: "k", GH: SECRET },
      path: [BIN],
    });
    const log = path.join(run.home, "mcp.log");
    run.ctx.env.FAKE_CLI_LOG = log;
    expect((await createHarness("claude")!.run(run.ctx)).state).toBe("SUCCEEDED");
    const [call] = logged(log);
    expect(call.argv[call.argv.indexOf("--model") + 1]).toBe("claude-opus-4");
    expect(call.mcp).toEqual({
      gh: { command: "gh-mcp", args: [], env: { TOKEN: SECRET, MODE: "ro" } },
      docs: {
        type: "http",
        url: "https://docs.example/mcp",
        headers: { authorization: `Bearer ${SECRET}` },
      },
    });
    expect(call.cmdline).not.toContain(SECRET);
    expect(call.argv.join(" ")).not.toContain(SECRET);
    // a file only the run's user reads, in the backend's private directory (not the workspace)
    expect(call.mcpFile).toEqual({
      path: path.join(run.ctx.backend.privateDir, "claude-mcp.json"),
      mode: 0o600,
    });
    expect(call.mcpFile!.path.startsWith(run.workspace)).toBe(false);
    expect(existsSync(call.mcpFile!.path)).toBe(false);
  });

  it("the Claude Code MCP file is removed when the run is cancelled, and when the CLI fails", async () => {
    run = makeContext({
      prompt: "x",
      config: { mcp_servers: { gh: { command: "gh-mcp", env: { TOKEN: "${GH}" } } } },
      env: { ANTHROPIC_API_KEY: "k", GH: SECRET, FAKE_CLI_HANG: "1" },
      path: [BIN],
    });
    const log = path.join(run.home, "cancel.log");
    run.ctx.env.FAKE_CLI_LOG = log;
    const outcome = createHarness("claude")!.run(run.ctx);
    while (!run.of("agent.message").length) await new Promise((r) => setTimeout(r, 20));
    const file = logged(log)[0].mcpFile!.path;
    expect(existsSync(file)).toBe(true);
    run.cancel();
    expect((await outcome).state).toBe("CANCELLED");
    expect(existsSync(file)).toBe(false);

    delete run.ctx.env.FAKE_CLI_HANG;
    run.ctx.env.FAKE_CLI_FAIL = "1";
    run.ctx.signal = new AbortController().signal;
    expect((await createHarness("claude")!.run(run.ctx)).state).toBe("FAILED");
    expect(logged(log)[1].mcpFile!.path).toBe(file);
    expect(existsSync(file)).toBe(false);
  });

  it("MCP servers reach Codex through -c overrides naming variables: resolved values in its environment, none in its argv", async () => {
    run = makeContext({
      prompt: "x",
      config: {
        mcp_servers: {
          gh: { command: "gh-mcp", args: ["--stdio"], env: { TOKEN: "${GH}", MODE: "ro" } },
          "my docs": {
            url: "https://docs.example/mcp",
            headers: { authorization: "Bearer ${GH}", "x-client": "ambit" },
          },
        },
      },
      env: { OPENAI_API_KEY: "k", GH: SECRET },
      path: [BIN],
    });
    const log = path.join(run.home, "codex.log");
    run.ctx.env.FAKE_CLI_LOG = log;
    expect((await createHarness("codex")!.run(run.ctx)).state).toBe("SUCCEEDED");
    const [call] = logged(log);
    expect(call.mcp).toEqual({
      gh: { command: "gh-mcp", args: ["--stdio"], env: { TOKEN: SECRET, MODE: "ro" } },
      "my docs": {
        url: "https://docs.example/mcp",
        headers: { authorization: `Bearer ${SECRET}`, "x-client": "ambit" },
      },
    });
    expect(call.cmdline).not.toContain(SECRET);
    expect(call.argv.filter((_, i, a) => a[i - 1] === "-c")).toEqual([
      'mcp_servers.gh.command="gh-mcp"',
      'mcp_servers.gh.args=["--stdio"]',
      'mcp_servers.gh.env={"MODE" = "ro"}',
      'mcp_servers.gh.env_vars=["TOKEN"]',
      'mcp_servers.gh.default_tools_approval_mode="approve"',
      'mcp_servers."my docs".url="https://docs.example/mcp"',
      'mcp_servers."my docs".http_headers={"x-client" = "ambit"}',
      'mcp_servers."my docs".env_http_headers={"authorization" = "AMBIT_MCP_1_HEADER_0"}',
      'mcp_servers."my docs".default_tools_approval_mode="approve"',
    ]);
  });

  it("Codex refuses a placeholder it could only get on its command line, and one variable with two values", async () => {
    run = makeContext({
      prompt: "x",
      config: { mcp_servers: { gh: { command: "gh-mcp", args: ["--token=${GH}"] } } },
      env: { OPENAI_API_KEY: "k", GH: SECRET },
      path: [BIN],
    });
    const log = path.join(run.home, "refuse.log");
    run.ctx.env.FAKE_CLI_LOG = log;
    const args = await createHarness("codex")!.run(run.ctx);
    expect(args).toMatchObject({ state: "FAILED", error_code: "environment_setup_failed" });
    expect(args.message).toBe(
      "mcp_servers.gh.args[0] holds a ${…} placeholder, which Codex could only get on its command line, readable by every local user: move the secret to the server's env, or run with the claude or ambit harness",
    );
    run.ctx.config = { mcp_servers: { a: { url: "https://a.example/mcp?key=${GH}" } } };
    expect((await createHarness("codex")!.run(run.ctx)).message).toMatch(
      /^mcp_servers\.a\.url holds a \$\{…\} placeholder/,
    );
    run.ctx.env.OTHER = "x";
    run.ctx.config = {
      mcp_servers: {
        a: { command: "a", env: { TOKEN: "${GH}" } },
        b: { command: "b", env: { TOKEN: "${OTHER}" } },
      },
    };
    expect((await createHarness("codex")!.run(run.ctx)).message).toMatch(
      /^two MCP servers set TOKEN to different values/,
    );
    expect(existsSync(log)).toBe(false);
  });

  it("MCP servers reach Gemini CLI and OpenCode in a private settings file naming variables: secrets in their environment, not on disk or in argv", async () => {
    const mcp_servers = {
      gh: { command: "gh-mcp", args: ["--stdio"], env: { TOKEN: "${GH}", MODE: "ro" } },
      docs: {
        url: "https://docs.example/mcp",
        headers: { authorization: "Bearer ${GH}", "x-client": "ambit" },
      },
    };
    run = makeContext({
      prompt: "x",
      config: { mcp_servers },
      env: { GEMINI_API_KEY: "k", ANTHROPIC_API_KEY: "k", GH: SECRET },
      path: [BIN],
    });
    const log = path.join(run.home, "mcp.log");
    run.ctx.env.FAKE_CLI_LOG = log;
    for (const type of ["gemini", "opencode"]) {
      const outcome = await createHarness(type)!.run(run.ctx);
      expect(outcome.state, outcome.message).toBe("SUCCEEDED");
    }
    const [gemini, opencode] = logged(log);
    // what each CLI starts, once it has expanded its variables
    expect(gemini.mcp).toEqual({
      gh: { command: "gh-mcp", args: ["--stdio"], env: { TOKEN: SECRET, MODE: "ro" }, trust: true },
      docs: {
        httpUrl: "https://docs.example/mcp",
        headers: { authorization: `Bearer ${SECRET}`, "x-client": "ambit" },
        trust: true,
      },
    });
    expect(opencode.mcp).toEqual({
      gh: {
        type: "local",
        command: ["gh-mcp", "--stdio"],
        environment: { TOKEN: SECRET, MODE: "ro" },
        enabled: true,
      },
      docs: {
        type: "remote",
        url: "https://docs.example/mcp",
        headers: { authorization: `Bearer ${SECRET}`, "x-client": "ambit" },
        oauth: false,
        enabled: true,
      },
    });
    for (const call of [gemini, opencode]) {
      // the file names the secret's variable, never its value; only the run's user reads it,
      // in the backend's private directory, and it is gone after the run
      expect(call.mcpFile!.text).not.toContain(SECRET);
      expect(call.mcpFile!.text).toContain("AMBIT_MCP_0");
      expect(call.mcpFile!.text).toContain('"MODE":"ro"');
      expect(call.mcpFile!.mode).toBe(0o600);
      expect(call.mcpFile!.path.startsWith(run.ctx.backend.privateDir)).toBe(true);
      expect(existsSync(call.mcpFile!.path)).toBe(false);
      expect(call.cmdline).not.toContain(SECRET);
    }
  });

  it("an unknown placeholder in an MCP server fails naming it", async () => {
    run = makeContext({
      prompt: "x",
      config: { mcp_servers: { gh: { command: "gh-mcp", env: { TOKEN: "${MISSING}" } } } },
      env: { ANTHROPIC_API_KEY: "k", GEMINI_API_KEY: "k" },
      path: [BIN],
    });
    for (const type of ["claude", "gemini", "opencode"]) {
      expect((await createHarness(type)!.run(run.ctx)).message).toBe(
        "${MISSING} in mcp_servers.gh.env.TOKEN names no secret or environment variable of this run: add a team secret named MISSING or fix the name",
      );
    }
  });

  it("cancel kills the CLI's whole process tree and ends CANCELLED", async () => {
    run = makeContext({
      prompt: "x",
      env: { ANTHROPIC_API_KEY: "k", FAKE_CLI_HANG: "1" },
      path: [BIN],
    });
    const outcome = createHarness("claude")!.run(run.ctx);
    while (!run.of("agent.message").length) await new Promise((r) => setTimeout(r, 20));
    const pid = Number(run.of("agent.message")[0].text.replace("waiting on ", ""));
    expect(alive(pid)).toBe(true);
    run.cancel();
    expect(await outcome).toEqual({
      state: "CANCELLED",
      message: "the run was cancelled; claude was stopped",
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
  });
});
