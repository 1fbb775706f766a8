import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ambitHarness } from "../../../packages/runner/src/harness/ambit.ts";
import { startMcpHttpServer } from "../../fakes/mcp-http-server.ts";
import { startModelServer, type ModelServer } from "../../fakes/model-server.ts";
import { FAKES, makeContext } from "./harness-context.ts";

let server: ModelServer | undefined;
let http: Server | undefined;
let run: ReturnType<typeof makeContext> | undefined;
afterEach(async () => {
  await server?.close();
  http?.closeAllConnections();
  await new Promise((r) => (http ? http.close(r) : r(null)));
  await run?.dispose();
  server = run = http = undefined;
});

const node = process.execPath;
const env = (s: ModelServer) => ({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: `${s.url}/v1` });

describe("ambit harness with MCP servers", () => {
  it("offers a stdio server's tools to the model and calls them, with ${SECRET} placeholders resolved", async () => {
    server = await startModelServer([
      { toolCalls: [{ name: "lookup__lookup", args: { key: "color" } }] },
      { text: "The color is known." },
    ]);
    run = makeContext({
      prompt: "find the color",
      config: {
        model_id: "gpt-test",
        mcp_servers: {
          lookup: {
            command: node,
            args: [path.join(FAKES, "mcp-server.ts")],
            env: { LOOKUP_TOKEN: "${LOOKUP_SECRET}" },
          },
        },
      },
      env: { ...env(server), LOOKUP_SECRET: "s3cret-value" },
    });
    const outcome = await ambitHarness.run(run.ctx);
    expect(outcome).toEqual({ state: "SUCCEEDED", message: "The color is known." });

    const offered = server.requests[0].body.tools.find(
      (t: any) => t.function.name === "lookup__lookup",
    );
    expect(offered.function.description).toContain("Look up the value stored under a key");
    expect(offered.function.parameters.properties.key.type).toBe("string");
    expect(server.requests[1].body.messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "call_0_0",
      content: "color=s3cret-value",
    });
    expect(run.of("agent.tool_call")[0]).toMatchObject({
      name: "lookup__lookup",
      category: "integration",
      input: { key: "color" },
    });
    expect(run.of("agent.tool_result")[0]).toMatchObject({
      state: "completed",
      output: { server: "lookup", tool: "lookup" },
    });
    expect(
      run
        .of("setup.step")
        .filter((s) => s.phase === "mcp")
        .map((s) => s.status),
    ).toEqual(["started", "succeeded"]);
  });

  it("a stdio server that dies on start ends the run FAILED with its command, exit code and stderr", async () => {
    server = await startModelServer([{ text: "never asked" }]);
    const script = path.join(FAKES, "mcp-broken.ts");
    run = makeContext({
      prompt: "x",
      config: { model_id: "gpt-test", mcp_servers: { db: { command: node, args: [script] } } },
      env: env(server),
    });
    const outcome = await ambitHarness.run(run.ctx);
    expect(outcome).toMatchObject({ state: "FAILED", error_code: "environment_setup_failed" });
    expect(outcome.message).toContain(
      `MCP server "db" (command: ${node} ${script}) exited with code 3 before it finished starting`,
    );
    expect(outcome.message).toContain("could not open database /nonexistent/db.sqlite");
    const failed = run.of("setup.step").find((s) => s.status === "failed");
    expect(failed).toMatchObject({ phase: "mcp", name: "db", exit_code: 3 });
    expect(failed!.output_tail).toContain("could not open database");
    expect(server.requests).toHaveLength(0);
  });

  it("a command that does not exist is reported as not found", async () => {
    server = await startModelServer([]);
    run = makeContext({
      prompt: "x",
      config: {
        model_id: "gpt-test",
        mcp_servers: { gh: { command: "ambit-no-such-mcp-server" } },
      },
      env: env(server),
    });
    const outcome = await ambitHarness.run(run.ctx);
    expect(outcome.state).toBe("FAILED");
    expect(outcome.message).toMatch(
      /MCP server "gh" \(command: ambit-no-such-mcp-server\) could not be started \(command not found/,
    );
  });

  it("an unknown ${NAME} placeholder fails before anything starts, naming the secret to add", async () => {
    server = await startModelServer([]);
    run = makeContext({
      prompt: "x",
      config: {
        model_id: "gpt-test",
        mcp_servers: {
          lookup: { command: node, args: ["x"], env: { TOKEN: "Bearer ${GITHUB_TOKEN}" } },
        },
      },
      env: env(server),
    });
    const outcome = await ambitHarness.run(run.ctx);
    expect(outcome.state).toBe("FAILED");
    expect(outcome.message).toBe(
      'MCP server "lookup": ${GITHUB_TOKEN} in mcp_servers.lookup.env.TOKEN names no secret or environment variable of this run: add a team secret named GITHUB_TOKEN or fix the name',
    );
  });

  it("an HTTP server that refuses is reported with its status (headers resolved from secrets)", async () => {
    let auth: string | undefined;
    http = createServer((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(401, { "content-type": "text/plain" }).end("bad token");
    });
    await new Promise<void>((r) => http!.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
    server = await startModelServer([]);
    run = makeContext({
      prompt: "x",
      config: {
        model_id: "gpt-test",
        mcp_servers: { linear: { url, headers: { authorization: "Bearer ${LINEAR_KEY}" } } },
      },
      env: { ...env(server), LINEAR_KEY: "lin_123" },
    });
    const outcome = await ambitHarness.run(run.ctx);
    expect(auth).toBe("Bearer lin_123");
    expect(outcome.state).toBe("FAILED");
    expect(outcome.message).toContain(`MCP server "linear" (url: ${url}) answered HTTP 401`);
    expect(run.of("setup.step").find((s) => s.status === "failed")).toMatchObject({
      phase: "mcp",
      name: "linear",
    });
  });

  it("uses a streamable-HTTP server's tools", async () => {
    const mcp = await startMcpHttpServer("tok_9");
    try {
      server = await startModelServer([
        { toolCalls: [{ name: "issues__issue_title", args: { number: 42 } }] },
        { text: "Issue 42 is the crash." },
      ]);
      run = makeContext({
        prompt: "what is issue 42?",
        config: {
          model_id: "gpt-test",
          mcp_servers: {
            issues: { url: mcp.url, headers: { authorization: "Bearer ${ISSUES_TOKEN}" } },
          },
        },
        env: { ...env(server), ISSUES_TOKEN: "tok_9" },
      });
      expect(await ambitHarness.run(run.ctx)).toEqual({
        state: "SUCCEEDED",
        message: "Issue 42 is the crash.",
      });
      expect(server.requests[1].body.messages.at(-1)).toEqual({
        role: "tool",
        tool_call_id: "call_0_0",
        content: "#42: Crash on start",
      });
    } finally {
      await mcp.close();
    }
  });
});
