import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ambitHarness } from "../../../packages/runner/src/harness/ambit.ts";
import { runAgentLoop } from "../../../packages/runner/src/harness/loop.ts";
import { anthropicProvider } from "../../../packages/runner/src/harness/providers/anthropic.ts";
import { openAiProvider } from "../../../packages/runner/src/harness/providers/openai.ts";
import { BUILTIN_TOOLS } from "../../../packages/runner/src/harness/tools/index.ts";
import { createHarness, HARNESS_TYPES } from "../../../packages/runner/src/harness/index.ts";
import { startModelServer, type ModelServer } from "../../fakes/model-server.ts";
import { alive, makeContext } from "./harness-context.ts";

let server: ModelServer | undefined;
let run: ReturnType<typeof makeContext> | undefined;
afterEach(async () => {
  await server?.close();
  await run?.dispose();
  server = run = undefined;
});

const openAiEnv = (s: ModelServer) => ({
  OPENAI_API_KEY: "sk-test-openai",
  OPENAI_BASE_URL: `${s.url}/v1`,
});
const toolMessages = (body: any) => body.messages.filter((m: any) => m.role === "tool");

describe("ambit harness", () => {
  it("is what createHarness gives for ambit and oz", () => {
    expect(createHarness("ambit")).toBe(ambitHarness);
    expect(createHarness("oz")).toBe(ambitHarness);
    expect(createHarness("nope")).toBeNull();
    expect(HARNESS_TYPES).toEqual(
      expect.arrayContaining(["ambit", "oz", "claude", "codex", "gemini", "opencode"]),
    );
  });

  it("OpenAI-compatible: edits files, runs a shell command, refuses path escapes, reports usage", async () => {
    server = await startModelServer([
      {
        text: "Creating the file.",
        toolCalls: [
          { name: "write_file", args: { path: "notes/hello.txt", content: "hello world\n" } },
        ],
        usage: { input: 120, output: 30 },
      },
      {
        toolCalls: [
          {
            name: "edit_file",
            args: { path: "notes/hello.txt", old_string: "world", new_string: "ambit" },
          },
          {
            name: "run_shell_command",
            args: { command: "cat notes/hello.txt; echo oops >&2; exit 3" },
          },
        ],
      },
      {
        toolCalls: [
          { name: "read_file", args: { path: "../../etc/passwd" } },
          { name: "search", args: { pattern: "amb[i]t" } },
        ],
      },
      { text: "All done." },
    ]);
    run = makeContext({
      prompt: "say hello",
      config: { model_id: "gpt-test" },
      env: openAiEnv(server),
    });
    const outcome = await ambitHarness.run(run.ctx);

    expect(outcome).toEqual({ state: "SUCCEEDED", message: "All done." });
    expect(readFileSync(path.join(run.workspace, "notes/hello.txt"), "utf8")).toBe("hello ambit\n");
    expect(server.requests).toHaveLength(4);
    expect(server.requests[0].headers.authorization).toBe("Bearer sk-test-openai");
    expect(server.requests[0].body.model).toBe("gpt-test");
    expect(server.requests[0].body.tools.map((t: any) => t.function.name)).toEqual(
      expect.arrayContaining([
        "run_shell_command",
        "read_file",
        "write_file",
        "edit_file",
        "list_directory",
        "search",
        "ask_user",
      ]),
    );

    const calls = run.of("agent.tool_call");
    expect(calls.map((c) => c.name)).toEqual([
      "write_file",
      "edit_file",
      "run_shell_command",
      "read_file",
      "search",
    ]);
    expect(calls[0].input).toEqual({ path: "notes/hello.txt", content: "hello world\n" });
    const shell = calls[2];
    const output = run.of("command.output").filter((o) => o.call_id === shell.call_id);
    expect(output.map((o) => o.chunk).join("")).toContain("hello ambit");
    expect(output.some((o) => o.stream === "stderr" && o.chunk.includes("oops"))).toBe(true);

    const results = run.of("agent.tool_result");
    expect(results.find((r) => r.call_id === shell.call_id)).toMatchObject({
      state: "failed",
      output: { exit_code: 3 },
    });
    expect(results.find((r) => r.name === "read_file")).toMatchObject({ state: "failed" });
    expect(results.find((r) => r.name === "read_file")!.output.error).toMatch(
      /outside the workspace/,
    );

    // the model saw the tool results: the shell's exit code, the refusal, the search hit
    const third = toolMessages(server.requests[2].body).slice(-2);
    expect(third.map((m: any) => m.tool_call_id)).toEqual([calls[1].call_id, shell.call_id]);
    expect(third[1].content).toMatch(/hello ambit[\s\S]*\[the command exited with code 3\]/);
    const fourth = toolMessages(server.requests[3].body).slice(-2);
    expect(fourth[0].content).toMatch(/outside the workspace/);
    expect(fourth[1].content).toContain("notes/hello.txt:1:hello ambit");

    expect(run.of("agent.message").map((m) => m.text)).toEqual(["Creating the file.", "All done."]);
    expect(run.of("usage")).toHaveLength(4);
    expect(run.of("usage")[0]).toEqual({
      model_id: "gpt-test",
      input_tokens: 120,
      output_tokens: 30,
    });
  });

  it("Anthropic (catalog model): tool_use blocks, tool_result blocks sent back, version header, usage", async () => {
    server = await startModelServer([
      {
        text: "Writing.",
        toolCalls: [
          { name: "write_file", args: { path: "a.txt", content: "x" } },
          { name: "run_shell_command", args: { command: "ls" } },
        ],
        usage: { input: 50, output: 7 },
      },
      { text: "Finished." },
    ]);
    run = makeContext({
      prompt: "write a.txt",
      model: {
        id: "team-claude",
        provider: "anthropic",
        model: "claude-test",
        base_url: server.url,
        api_key_secret: "TEAM_ANTHROPIC",
      },
      env: { TEAM_ANTHROPIC: "sk-ant-team" },
    });
    const outcome = await ambitHarness.run(run.ctx);
    expect(outcome).toEqual({ state: "SUCCEEDED", message: "Finished." });
    expect(readFileSync(path.join(run.workspace, "a.txt"), "utf8")).toBe("x");

    const [first, second] = server.requests;
    expect(first.path).toBe("/v1/messages");
    expect(first.headers["x-api-key"]).toBe("sk-ant-team");
    expect(first.headers["anthropic-version"]).toBe("2023-06-01");
    expect(first.body).toMatchObject({ model: "claude-test", stream: true });
    expect(first.body.system).toEqual([
      {
        type: "text",
        text: expect.stringContaining("You are Ambit"),
        cache_control: { type: "ephemeral" },
      },
    ]);
    expect(first.body.messages).toEqual([
      {
        role: "user",
        content: [{ type: "text", text: "write a.txt", cache_control: { type: "ephemeral" } }],
      },
    ]);
    expect(first.body.tools.find((t: any) => t.name === "edit_file").input_schema.required).toEqual(
      ["path", "old_string", "new_string"],
    );

    const assistant = second.body.messages[1];
    expect(assistant.role).toBe("assistant");
    expect(assistant.content).toEqual([
      { type: "text", text: "Writing." },
      {
        type: "tool_use",
        id: "toolu_0_0",
        name: "write_file",
        input: { path: "a.txt", content: "x" },
      },
      { type: "tool_use", id: "toolu_0_1", name: "run_shell_command", input: { command: "ls" } },
    ]);
    const results = second.body.messages[2];
    expect(results.role).toBe("user");
    expect(results.content.map((b: any) => [b.type, b.tool_use_id])).toEqual([
      ["tool_result", "toolu_0_0"],
      ["tool_result", "toolu_0_1"],
    ]);
    expect(second.body.messages[0].content[0].cache_control).toBeUndefined();
    expect(results.content[1].cache_control).toEqual({ type: "ephemeral" });
    expect(results.content[1].content).toContain("a.txt");
    expect(run.of("usage")[0]).toEqual({
      model_id: "claude-test",
      input_tokens: 50,
      output_tokens: 7,
    });
  });

  it("a follow-up sent mid-run reaches the model before its next call (claude-* ids go to Anthropic)", async () => {
    server = await startModelServer((_req, i) => {
      if (i === 0) {
        run!.followup("please also add a README");
        return { toolCalls: [{ name: "list_directory", args: {} }] };
      }
      return { text: "Added it." };
    });
    run = makeContext({
      prompt: "tidy up",
      config: { model_id: "claude-3-test" },
      env: { ANTHROPIC_API_KEY: "sk-ant-x", ANTHROPIC_BASE_URL: server.url },
    });
    const outcome = await ambitHarness.run(run.ctx);
    expect(outcome.state).toBe("SUCCEEDED");
    expect(server.requests.map((r) => r.path)).toEqual(["/v1/messages", "/v1/messages"]);
    const lastUser = server.requests[1].body.messages.at(-1);
    expect(lastUser.role).toBe("user");
    expect(lastUser.content.map((b: any) => b.type)).toEqual(["tool_result", "text"]);
    expect(lastUser.content[1].text).toBe("please also add a README");
  });

  it("a follow-up that arrives as the model finishes keeps the run going", async () => {
    server = await startModelServer((_req, i) => {
      if (i === 0) run!.followup("one more thing");
      return { text: i === 0 ? "First answer." : "Second answer." };
    });
    run = makeContext({ prompt: "go", config: { model_id: "gpt-test" }, env: openAiEnv(server) });
    expect(await ambitHarness.run(run.ctx)).toEqual({
      state: "SUCCEEDED",
      message: "Second answer.",
    });
    expect(server.requests[1].body.messages.at(-1)).toEqual({
      role: "user",
      content: "one more thing",
    });
  });

  it("saves its conversation, asks for a checkpoint at a follow-up boundary, and a resumed execution picks the conversation up (told of a lost host)", async () => {
    server = await startModelServer((_req, i) => {
      if (i === 0) run!.followup("and then?");
      return { text: i === 0 ? "First answer." : "Second answer." };
    });
    run = makeContext({ prompt: "go", config: { model_id: "gpt-test" }, env: openAiEnv(server) });
    let saved: unknown;
    const asked: string[] = [];
    run.ctx.saveConversation = (state) => (saved = JSON.parse(JSON.stringify(state)));
    run.ctx.checkpoint = (reason) => asked.push(reason);
    expect((await ambitHarness.run(run.ctx)).state).toBe("SUCCEEDED");
    expect(asked).toEqual(["turn"]);
    expect((saved as { text: string }[]).map((m) => m.text)).toEqual([
      "go",
      "First answer.",
      "and then?",
      "Second answer.",
    ]);
    await server.close();
    await run.dispose();

    server = await startModelServer([{ text: "Picked up." }]);
    run = makeContext({ prompt: "go", config: { model_id: "gpt-test" }, env: openAiEnv(server) });
    run.ctx.resume = {
      reason: "host_lost",
      checkpointAt: "2026-12-07T06:00:00.000Z",
      conversation: { harness: "ambit", state: saved },
    };
    expect(await ambitHarness.run(run.ctx)).toEqual({ state: "SUCCEEDED", message: "Picked up." });
    const sent = server.requests[0].body.messages.filter((m: any) => m.role !== "system");
    expect(sent.map((m: any) => m.content)).toEqual([
      "go",
      "First answer.",
      "and then?",
      "Second answer.",
      expect.stringMatching(/^The host you ran on was lost\. .*2026-12-07T06:00:00\.000Z/),
    ]);
  });

  it("ask_user blocks on askUser and resumes with the person's answer", async () => {
    server = await startModelServer([
      { toolCalls: [{ name: "ask_user", args: { question: "Which branch?" } }] },
      { text: "Using main." },
    ]);
    run = makeContext({
      prompt: "deploy",
      config: { model_id: "gpt-test" },
      env: openAiEnv(server),
    });
    run.onQuestion(() => setTimeout(() => run!.followup("use main"), 20));
    const outcome = await ambitHarness.run(run.ctx);
    expect(run.questions).toEqual(["Which branch?"]);
    expect(outcome).toEqual({ state: "SUCCEEDED", message: "Using main." });
    expect(toolMessages(server.requests[1].body)).toEqual([
      { role: "tool", tool_call_id: "call_0_0", content: "use main" },
    ]);
    expect(run.of("agent.tool_result")[0]).toMatchObject({
      name: "ask_user",
      state: "completed",
      output: { answer: "use main" },
    });
  });

  it("stops FAILED at the step limit", async () => {
    server = await startModelServer(() => ({ toolCalls: [{ name: "list_directory", args: {} }] }));
    run = makeContext({
      prompt: "loop",
      config: { model_id: "gpt-test", max_steps: 3 },
      env: openAiEnv(server),
    });
    const outcome = await ambitHarness.run(run.ctx);
    expect(outcome.state).toBe("FAILED");
    expect(outcome.message).toMatch(/step limit \(3 model calls\).*agent_config\.max_steps/);
    expect(server.requests).toHaveLength(3);
  });

  it("fails with the secret to add when there are no credentials", async () => {
    const saved = {
      o: process.env.OPENAI_API_KEY,
      a: process.env.ANTHROPIC_API_KEY,
      b: process.env.OPENAI_BASE_URL,
    };
    delete process.env.OPENAI_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    delete process.env.OPENAI_BASE_URL;
    try {
      run = makeContext({ prompt: "x", config: { model_id: "gpt-test" } });
      const openai = await ambitHarness.run(run.ctx);
      expect(openai).toMatchObject({ state: "FAILED", error_code: "integration_not_configured" });
      expect(openai.message).toContain(
        "add a team secret named OPENAI_API_KEY (type openai_api_key) or set agent_config.model_id to a model of the team's catalog",
      );

      run.ctx.config = { model_id: "claude-sonnet-4-5" };
      expect((await ambitHarness.run(run.ctx)).message).toContain(
        "add a team secret named ANTHROPIC_API_KEY (type anthropic_api_key)",
      );

      run.ctx.model = {
        id: "house",
        provider: "openai",
        model: "m",
        base_url: "http://127.0.0.1:1",
        api_key_secret: "HOUSE_KEY",
      };
      expect((await ambitHarness.run(run.ctx)).message).toContain(
        'catalog model "house" takes its API key from the secret HOUSE_KEY',
      );
    } finally {
      for (const [k, v] of [
        ["OPENAI_API_KEY", saved.o],
        ["ANTHROPIC_API_KEY", saved.a],
        ["OPENAI_BASE_URL", saved.b],
      ] as const)
        if (v !== undefined) process.env[k] = v;
    }
  });

  it("a refused key ends FAILED naming the HTTP status", async () => {
    server = await startModelServer([
      { status: 401, body: '{"error":{"message":"Incorrect API key provided"}}' },
    ]);
    run = makeContext({ prompt: "x", config: { model_id: "gpt-test" }, env: openAiEnv(server) });
    const outcome = await ambitHarness.run(run.ctx);
    expect(outcome).toMatchObject({
      state: "FAILED",
      error_code: "external_authentication_required",
    });
    expect(outcome.message).toMatch(/answered 401: .*Incorrect API key provided.*refused/);
  });

  it("cancel during a shell command kills its whole process tree and ends CANCELLED", async () => {
    server = await startModelServer([
      {
        toolCalls: [
          { name: "run_shell_command", args: { command: "sleep 300 & echo $! > bg.pid; wait" } },
        ],
      },
    ]);
    run = makeContext({ prompt: "wait", config: { model_id: "gpt-test" }, env: openAiEnv(server) });
    const pidFile = path.join(run.workspace, "bg.pid");
    const outcome = ambitHarness.run(run.ctx);
    while (!existsSync(pidFile) || !readFileSync(pidFile, "utf8").trim())
      await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(pidFile, "utf8"));
    expect(alive(pid)).toBe(true);
    run.cancel("cancelled by a teammate");
    expect(await outcome).toEqual({ state: "CANCELLED", message: "cancelled by a teammate" });
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it("cancel while the model is streaming aborts the request and ends CANCELLED", async () => {
    server = await startModelServer(() => {
      setTimeout(() => run!.cancel("run timed out"), 50);
      return { text: "never finished", hold: new Promise(() => {}) };
    });
    run = makeContext({ prompt: "x", config: { model_id: "gpt-test" }, env: openAiEnv(server) });
    expect(await ambitHarness.run(run.ctx)).toEqual({
      state: "CANCELLED",
      message: "run timed out",
    });
    expect(run.of("agent.message")).toEqual([]);
  });

  it("cancel while waiting for a person's answer ends CANCELLED", async () => {
    server = await startModelServer([
      { toolCalls: [{ name: "ask_user", args: { question: "Proceed?" } }] },
    ]);
    run = makeContext({ prompt: "x", config: { model_id: "gpt-test" }, env: openAiEnv(server) });
    run.onQuestion(() => setTimeout(() => run!.cancel("nobody answered"), 20));
    expect(await ambitHarness.run(run.ctx)).toEqual({
      state: "CANCELLED",
      message: "nobody answered",
    });
  });

  it("retries a model request that failed transiently, reporting it as a retryable error event", async () => {
    server = await startModelServer([{ status: 503, body: "overloaded" }, { text: "Recovered." }]);
    run = makeContext({ prompt: "x" });
    const provider = openAiProvider({ apiKey: "k", baseUrl: server.url, model: "gpt-test" });
    const outcome = await runAgentLoop(run.ctx, {
      provider,
      tools: BUILTIN_TOOLS,
      system: "s",
      maxSteps: 5,
      retryDelayMs: 10,
    });
    expect(outcome).toEqual({ state: "SUCCEEDED", message: "Recovered." });
    expect(server.requests.map((r) => r.path)).toEqual([
      "/v1/chat/completions",
      "/v1/chat/completions",
    ]);
    expect(run.of("error")).toEqual([
      {
        message: "model request failed, retrying: OpenAI-compatible API answered 503: overloaded",
        retryable: true,
      },
    ]);
  });

  it("a stream cut short is not taken for a complete answer: it is retried (both APIs)", async () => {
    server = await startModelServer([
      { cut: true, text: "partial" },
      { text: "Whole answer." },
      { cut: true, text: "partial" },
      { text: "Whole again." },
    ]);
    run = makeContext({ prompt: "x" });
    const openai = openAiProvider({ apiKey: "k", baseUrl: `${server.url}/v1`, model: "m" });
    expect(
      await runAgentLoop(run.ctx, {
        provider: openai,
        tools: [],
        system: "s",
        maxSteps: 2,
        retryDelayMs: 10,
      }),
    ).toEqual({ state: "SUCCEEDED", message: "Whole answer." });
    const anthropic = anthropicProvider({ apiKey: "k", baseUrl: server.url, model: "claude-x" });
    expect(
      await runAgentLoop(run.ctx, {
        provider: anthropic,
        tools: [],
        system: "s",
        maxSteps: 2,
        retryDelayMs: 10,
      }),
    ).toEqual({ state: "SUCCEEDED", message: "Whole again." });
    expect(run.of("error").map((e) => e.message)).toEqual([
      "model request failed, retrying: OpenAI-compatible API: the response stream ended before the response was complete",
      "model request failed, retrying: Anthropic API: the response stream ended before the response was complete",
    ]);
  });

  it("cuts the oldest tool outputs once the conversation outgrows its budget, never the latest", async () => {
    const big = {
      name: "run_shell_command",
      args: { command: "head -c 3000 /dev/zero | tr '\\0' x" },
    };
    server = await startModelServer([{ toolCalls: [big] }, { toolCalls: [big] }, { text: "ok" }]);
    run = makeContext({ prompt: "x" });
    const provider = openAiProvider({ apiKey: "k", baseUrl: server.url, model: "m" });
    await runAgentLoop(run.ctx, {
      provider,
      tools: BUILTIN_TOOLS,
      system: "s",
      maxSteps: 5,
      historyBudgetChars: 4000,
    });
    const [older, latest] = toolMessages(server.requests[2].body);
    expect(older.content).toMatch(
      /^x{300}\n\[\d+ more characters dropped to keep the conversation within the model's context/,
    );
    expect(latest.content).toMatch(/^x{3000}\n\[the command exited with code 0\]$/);
    expect(toolMessages(server.requests[1].body)[0].content).toMatch(/^x{3000}/);
  });

  it("puts base_prompt, rules, found skills and AGENTS.md in the system prompt and reports missing skills", async () => {
    server = await startModelServer([{ text: "ok" }]);
    run = makeContext({
      prompt: "x",
      config: {
        model_id: "gpt-test",
        base_prompt: "Always write tests.",
        skills: ["release", "nowhere"],
        rules: ["Never push to main."],
      } as never,
      env: openAiEnv(server),
    });
    const skillDir = path.join(run.workspace, ".agents/skills/release");
    await import("node:fs/promises").then((fs) => fs.mkdir(skillDir, { recursive: true }));
    writeFileSync(
      path.join(skillDir, "SKILL.md"),
      "---\nname: release\n---\nBump the version first.",
    );
    writeFileSync(path.join(run.workspace, "AGENTS.md"), "Use npm, not yarn.");
    await ambitHarness.run(run.ctx);
    const system = server.requests[0].body.messages[0];
    expect(system.role).toBe("system");
    for (const part of [
      "Always write tests.",
      "Never push to main.",
      "Bump the version first.",
      "Use npm, not yarn.",
      run.workspace,
    ])
      expect(system.content).toContain(part);
    expect(run.of("setup.step").find((s) => s.name === "skill nowhere")).toMatchObject({
      phase: "harness",
      status: "failed",
    });
  });
});
