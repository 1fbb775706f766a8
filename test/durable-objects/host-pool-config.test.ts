// What a host receives with a run: the configuration resolved and frozen at creation, and the
// secrets opened at assignment (team secrets + the creator's personal ones), end to end through
// the API, the RUNS queue and the HostPool.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, memberKey, newTeam } from "../helpers/api.ts";
import { TestHost, untilRun } from "../helpers/hosts.ts";
import { createRun, RUNS } from "../helpers/runs.ts";

const A = "/api/v1/agent";

async function post(key: string, path: string, body: unknown) {
  const res = await call("POST", `${A}${path}`, { key, body });
  expect(res.status, res.text).toBe(201);
  return res.json;
}

describe("HostPool: assignments carry the run's configuration and secrets", () => {
  it("environment, team env vars, catalog model, MCP servers (placeholders kept), rules, and team + creator's personal secrets", async () => {
    const t = await newTeam("assign");
    const member = await memberKey(t.key, "member");
    await post(t.key, "/secrets", { name: "GH_TOKEN", value: "team-gh-value" });
    await post(t.key, "/secrets", {
      name: "OPENAI_KEY",
      value: "team-openai-value",
      type: "openai_api_key",
    });
    await post(t.key, "/secrets", {
      name: "OWNER_ONLY",
      value: "owner-personal-value",
      scope: "personal",
    });
    await post(member.key, "/secrets", {
      name: "MY_NOTE",
      value: "member-personal-value",
      scope: "personal",
    });
    // a personal secret wins over a team secret of the same name, for its owner's runs only
    await post(member.key, "/secrets", {
      name: "GH_TOKEN",
      value: "member-gh-value",
      scope: "personal",
    });
    expect(
      (await call("PUT", `${A}/env-vars/LOG_LEVEL`, { key: t.key, body: { value: "debug" } }))
        .status,
    ).toBe(201);
    await post(t.key, "/rules", { name: "tests", content: "Always run the tests." });
    await post(t.key, "/rules", { name: "off", content: "Disabled rule", enabled: false });
    const mcp = await post(t.key, "/mcp-servers", {
      name: "github",
      config: { command: "npx", args: ["gh-mcp"], env: { TOKEN: "${GH_TOKEN}" } },
    });
    await post(t.key, "/models", {
      id: "local-llm",
      provider: "openai",
      model: "qwen3",
      base_url: "http://127.0.0.1:9/v1",
      api_key_secret: "OPENAI_KEY",
      default: true,
    });
    const environment = await post(t.key, "/environments", {
      name: "web",
      docker_image: "node:22",
      repositories: [{ url: "acme/web", ref: "main" }],
      setup_commands: ["npm ci"],
      env_vars: { CI: "1" },
      secrets: [{ name: "GH_TOKEN" }],
    });

    const host = await TestHost.connect(t.key, "warp", { capacity: 4 });
    const runId = await createRun(member.key, {
      prompt: "Fix it",
      config: { environment_id: environment.uid, mcp_servers: { gh: { warp_id: mcp.uid } } },
    });
    const a = await host.assignmentOf(runId);

    expect(a.environment).toEqual({
      uid: environment.uid,
      name: "web",
      docker_image: "node:22",
      repositories: [{ url: "acme/web", ref: "main" }],
      setup_commands: ["npm ci"],
      env_vars: { CI: "1" },
    });
    expect(a.env_vars).toEqual({ LOG_LEVEL: "debug" });
    expect(a.model).toEqual({
      id: "local-llm",
      provider: "openai",
      model: "qwen3",
      base_url: "http://127.0.0.1:9/v1",
      api_key_secret: "OPENAI_KEY",
    });
    // the catalog model's key stays on the platform: the team's model gateway (on by default)
    // calls the model, the host gets the gateway's address and the run's credential instead
    expect(a.secrets).toEqual([
      { name: "GH_TOKEN", value: "member-gh-value", type: "raw_value" },
      { name: "MY_NOTE", value: "member-personal-value", type: "raw_value" },
    ]);
    expect(a.gateway).toMatchObject({ path: expect.any(String), token: expect.any(String) });
    expect(a.task.agent_config).toMatchObject({
      environment_id: environment.uid,
      model_id: "local-llm",
      mcp_servers: { gh: { command: "npx", args: ["gh-mcp"], env: { TOKEN: "${GH_TOKEN}" } } },
      rules: [{ name: "tests", content: "Always run the tests." }],
      secret_names: ["GH_TOKEN", "OPENAI_KEY"],
    });

    // the run record shows the same frozen configuration, without a single secret value
    const run = (await call("GET", `${RUNS}/${runId}`, { key: member.key })).json;
    expect(run.agent_config).toEqual(a.task.agent_config);
    expect(JSON.stringify(run)).not.toMatch(
      /member-gh-value|team-openai-value|member-personal-value|team-gh-value/,
    );

    // changing configuration later never changes the past run, only new ones
    expect(
      (
        await call("PUT", `${A}/environments/${environment.uid}`, {
          key: t.key,
          body: { name: "web-v2", docker_image: "node:24" },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call("PUT", `${A}/env-vars/LOG_LEVEL`, { key: t.key, body: { value: "info" } }))
        .status,
    ).toBe(200);
    expect((await call("GET", `${RUNS}/${runId}`, { key: member.key })).json.agent_config).toEqual(
      a.task.agent_config,
    );
    const next = await createRun(t.key, {
      prompt: "Again",
      config: { environment_id: environment.uid },
    });
    const b = await host.assignmentOf(next);
    expect(b.environment).toMatchObject({
      name: "web-v2",
      docker_image: "node:24",
      repositories: [],
    });
    expect(b.env_vars).toEqual({ LOG_LEVEL: "info" });
    // the owner's run gets the owner's personal secret and the team GH_TOKEN, never the member's
    // (the model key, as above, stays with the gateway)
    expect(b.secrets.map((s) => `${s.name}=${s.value}`)).toEqual([
      "GH_TOKEN=team-gh-value",
      "OWNER_ONLY=owner-personal-value",
    ]);
    host.close();
  });

  it("a secret that no longer opens ends the run ERROR naming the secret, never its value", async () => {
    const t = await newTeam("assign");
    await post(t.key, "/secrets", { name: "BROKEN", value: "will-not-open" });
    await env.DB.prepare(
      "UPDATE secrets SET ciphertext = 'AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE team_id = ?",
    )
      .bind(t.teamId)
      .run();
    const host = await TestHost.connect(t.key, "warp");
    const runId = await createRun(t.key, { prompt: "x" });
    const run = await untilRun(t.key, runId, (r) => r.state === "ERROR", "ERROR");
    expect(run.status_message.message).toMatch(
      /secret 'BROKEN' could not be opened.*PUT \/api\/v1\/agent\/secrets\/BROKEN/,
    );
    expect(host.assignments()).toEqual([]);
    expect(JSON.stringify(run)).not.toContain("will-not-open");
    host.close();
  });
});
