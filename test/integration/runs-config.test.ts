import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { createRun, listRuns, RUNS, runRow } from "../helpers/runs.ts";

const A = "/api/v1/agent";
const run = (key: string, body: unknown) => call("POST", RUNS, { key, body });

describe("POST /agent/runs resolves and validates configuration references", () => {
  it("unknown environment, MCP server or secret: 400 naming each, and no run", async () => {
    const t = await newTeam("runcfg");
    const env = await run(t.key, {
      prompt: "p",
      config: { environment_id: "NoSuchEnvironment0000" },
    });
    expect(expectProblem(env, 400, "invalid_request").errors).toEqual([
      {
        path: "config.environment_id",
        message: expect.stringContaining("'NoSuchEnvironment0000'"),
      },
    ]);
    const mcp = await run(t.key, {
      prompt: "p",
      config: { mcp_servers: { gh: { warp_id: "nope" } } },
    });
    expect(expectProblem(mcp, 400, "invalid_request").errors).toEqual([
      { path: "config.mcp_servers.gh.warp_id", message: expect.stringContaining("'nope'") },
    ]);
    const secret = await run(t.key, {
      prompt: "p",
      config: {
        harness: { type: "claude" },
        harness_auth_secrets: { claude_auth_secret_name: "CLAUDE_KEY" },
      },
    });
    expect(expectProblem(secret, 400, "invalid_request").detail).toMatch(/secret 'CLAUDE_KEY'/);
    const several = expectProblem(
      await run(t.key, {
        prompt: "p",
        saved_prompt: "nope",
        config: { environment_id: "x", mcp_servers: { a: { warp_id: "y" } } },
      }),
      400,
      "invalid_request",
    );
    expect(several.errors.map((e: any) => e.path)).toEqual([
      "config.environment_id",
      "config.mcp_servers.a.warp_id",
      "saved_prompt",
    ]);
    expect((await listRuns(t.key)).runs).toEqual([]);
  });

  it("secret references: team secrets and the caller's own personal secrets count, another member's do not", async () => {
    const t = await newTeam("runcfg");
    const member = await memberKey(t.key, "member");
    await call("POST", `${A}/secrets`, {
      key: member.key,
      body: { name: "CLAUDE_KEY", value: "v", scope: "personal" },
    });
    const config = {
      harness: { type: "claude" },
      harness_auth_secrets: { claude_auth_secret_name: "CLAUDE_KEY" },
    };
    expect((await run(member.key, { prompt: "p", config })).status).toBe(200);
    expectProblem(await run(t.key, { prompt: "p", config }), 400, "invalid_request");
    await call("POST", `${A}/secrets`, { key: t.key, body: { name: "CLAUDE_KEY", value: "team" } });
    const id = await createRun(t.key, { prompt: "p", config });
    expect(JSON.parse((await runRow(id))!.agent_config!).secret_names).toEqual(["CLAUDE_KEY"]);
  });

  it("an environment's default secrets must exist; its default host picks the pool", async () => {
    const t = await newTeam("runcfg");
    const env = (
      await call("POST", `${A}/environments`, {
        key: t.key,
        body: { name: "e", secrets: [{ name: "DEPLOY_KEY" }], worker_host: "gpu-box" },
      })
    ).json.uid;
    expect(
      expectProblem(
        await run(t.key, { prompt: "p", config: { environment_id: env } }),
        400,
        "invalid_request",
      ).detail,
    ).toMatch(/'DEPLOY_KEY'/);
    await call("POST", `${A}/secrets`, { key: t.key, body: { name: "DEPLOY_KEY", value: "v" } });
    const id = await createRun(t.key, { prompt: "p", config: { environment_id: env } });
    expect(await runRow(id)).toMatchObject({ environment_id: env, worker_host: "gpu-box" });
    const own = await createRun(t.key, {
      prompt: "p",
      config: { environment_id: env, worker_host: "my-box" },
    });
    expect((await runRow(own))!.worker_host).toBe("my-box");
  });

  it("saved_prompt by name or uid becomes the prompt (the run's prompt appended); the title follows", async () => {
    const t = await newTeam("runcfg");
    const saved = (
      await call("POST", `${A}/prompts`, {
        key: t.key,
        body: { name: "triage", prompt: "Triage the newest issue." },
      })
    ).json;
    const byName = await createRun(t.key, { saved_prompt: "triage" });
    expect(await runRow(byName)).toMatchObject({
      prompt: "Triage the newest issue.",
      title: "Triage the newest issue.",
    });
    const byUid = await createRun(t.key, { saved_prompt: saved.uid, prompt: "Only look at #42." });
    expect((await runRow(byUid))!.prompt).toBe("Triage the newest issue.\n\nOnly look at #42.");
    expect(JSON.parse((await runRow(byUid))!.agent_config!).saved_prompt).toBe(saved.uid);
    // editing the saved prompt later does not change the run
    await call("PUT", `${A}/prompts/${saved.uid}`, {
      key: t.key,
      body: { name: "triage", prompt: "Something else." },
    });
    expect((await call("GET", `${RUNS}/${byName}`, { key: t.key })).json.prompt).toBe(
      "Triage the newest issue.",
    );
  });

  it("the team's default model applies when the run names none; the catalog entry is frozen", async () => {
    const t = await newTeam("runcfg");
    await call("POST", `${A}/models`, {
      key: t.key,
      body: {
        id: "local",
        provider: "openai",
        model: "qwen3",
        base_url: "http://127.0.0.1:1/v1",
        default: true,
      },
    });
    const id = await createRun(t.key, { prompt: "p" });
    expect((await runRow(id))!.model_id).toBe("local");
    const item = (await call("GET", `${RUNS}/${id}`, { key: t.key })).json;
    expect(item.agent_config).toMatchObject({
      model_id: "local",
      model: { id: "local", provider: "openai", model: "qwen3", base_url: "http://127.0.0.1:1/v1" },
    });
    expect((await listRuns(t.key, "model_id=local")).runs.map((r: any) => r.run_id)).toEqual([id]);
    const explicit = await createRun(t.key, { prompt: "p", config: { model_id: "gpt-5" } });
    expect(JSON.parse((await runRow(explicit))!.agent_config!)).not.toHaveProperty("model");
  });
});
