import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { createRun, RUNS, runRow } from "../helpers/runs.ts";

const IDS = "/api/v1/agent/identities";

describe("named agents (/agent/identities)", () => {
  it("create (201, Oz AgentResponse), get, list, partial update, delete (204)", async () => {
    const t = await newTeam("agents");
    const environment = (
      await call("POST", "/api/v1/agent/environments", { key: t.key, body: { name: "e" } })
    ).json.uid;
    const created = await call("POST", IDS, {
      key: t.key,
      body: {
        name: "reviewer",
        description: "Reviews PRs",
        prompt: "Review carefully.",
        environment_id: environment,
        secrets: [{ name: "GH" }],
        skills: ["acme/tools:review/SKILL.md"],
        base_model: "gpt-5",
        harness: { type: "claude" },
        worker_host: "box",
        agent_type: "REVIEW",
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({
      uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "reviewer",
      description: "Reviews PRs",
      prompt: "Review carefully.",
      available: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      secrets: [{ name: "GH" }],
      skills: ["acme/tools:review/SKILL.md"],
      memory: { auto_memory: { enabled: false }, attached_stores: [] },
      default_runner_uid: null,
      environment_id: environment,
      base_model: "gpt-5",
      harness: { type: "claude" },
      worker_host: "box",
      agent_type: "REVIEW",
    });
    const uid = created.json.uid;
    expect((await call("GET", `${IDS}/${uid}`, { key: t.key })).json).toEqual(created.json);
    expect((await call("GET", IDS, { key: t.key })).json).toEqual({ agents: [created.json] });

    // omitted/null = unchanged; empty = clear; otherwise replace
    const updated = await call("PUT", `${IDS}/${uid}`, {
      key: t.key,
      body: { description: null, prompt: "", skills: [], base_model: "claude-x", harness: {} },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json).toMatchObject({
      name: "reviewer",
      description: "Reviews PRs",
      skills: [],
      base_model: "claude-x",
      secrets: [{ name: "GH" }],
    });
    expect(updated.json).not.toHaveProperty("prompt");
    expect(updated.json).not.toHaveProperty("harness");

    expect((await call("DELETE", `${IDS}/${uid}`, { key: t.key })).status).toBe(204);
    expectProblem(await call("GET", `${IDS}/${uid}`, { key: t.key }), 404, "resource_not_found");
  });

  it("validates: empty name, duplicate secrets, unknown environment, conflicting base_harness", async () => {
    const t = await newTeam("agents");
    expect(
      expectProblem(
        await call("POST", IDS, { key: t.key, body: { name: " " } }),
        400,
        "invalid_request",
      ).errors[0].path,
    ).toBe("name");
    expect(
      expectProblem(
        await call("POST", IDS, {
          key: t.key,
          body: { name: "a", secrets: [{ name: "A" }, { name: "A" }] },
        }),
        400,
        "invalid_request",
      ).errors[0].path,
    ).toBe("secrets");
    expect(
      expectProblem(
        await call("POST", IDS, { key: t.key, body: { name: "a", environment_id: "nope" } }),
        400,
        "invalid_request",
      ).detail,
    ).toMatch(/'nope'/);
    expectProblem(
      await call("POST", IDS, {
        key: t.key,
        body: { name: "a", base_harness: "codex", harness: { type: "claude" } },
      }),
      400,
      "invalid_request",
    );
    expect(
      (await call("POST", IDS, { key: t.key, body: { name: "a", base_harness: "codex" } })).json
        .harness,
    ).toEqual({ type: "codex" });
  });

  it("admins manage agents; members read; other teams get 404", async () => {
    const t = await newTeam("agents");
    const member = await memberKey(t.key, "member");
    const other = await newTeam("agents");
    expectProblem(
      await call("POST", IDS, { key: member.key, body: { name: "x" } }),
      403,
      "not_authorized",
    );
    const uid = (await call("POST", IDS, { key: t.key, body: { name: "x" } })).json.uid;
    expectProblem(
      await call("PUT", `${IDS}/${uid}`, { key: member.key, body: { name: "y" } }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("DELETE", `${IDS}/${uid}`, { key: member.key }),
      403,
      "not_authorized",
    );
    expect((await call("GET", `${IDS}/${uid}`, { key: member.key })).status).toBe(200);
    expect((await call("GET", IDS, { key: other.key })).json.agents).toEqual([]);
    for (const [m, body] of [["GET"], ["PUT", { name: "z" }], ["DELETE"]] as const) {
      expectProblem(
        await call(m, `${IDS}/${uid}`, { key: other.key, body }),
        404,
        "resource_not_found",
      );
    }
  });

  it("deleting an agent revokes the API keys bound to it", async () => {
    const t = await newTeam("agents");
    const uid = (await call("POST", IDS, { key: t.key, body: { name: "bot" } })).json.uid;
    await env.DB.prepare(
      "INSERT INTO api_keys (id, team_id, principal_type, principal_id, name, prefix, key_hash, role, created_at) VALUES (?, ?, 'service_account', ?, 'bot key', 'ambit_x', ?, 'member', ?)",
    )
      .bind(`k-${uid}`, t.teamId, uid, `hash-${uid}`, Date.now())
      .run();
    await call("DELETE", `${IDS}/${uid}`, { key: t.key });
    const key = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?")
      .bind(`k-${uid}`)
      .first<{ revoked_at: number | null }>();
    expect(key!.revoked_at).not.toBeNull();
  });

  it("runs with agent_identity_uid take the agent's defaults (run fields win) and show it as executor", async () => {
    const t = await newTeam("agents");
    const environment = (
      await call("POST", "/api/v1/agent/environments", { key: t.key, body: { name: "agent-env" } })
    ).json.uid;
    const agent = (
      await call("POST", IDS, {
        key: t.key,
        body: {
          name: "fixer",
          prompt: "You fix bugs.",
          environment_id: environment,
          base_model: "m-agent",
          harness: { type: "codex" },
        },
      })
    ).json;
    const id = await createRun(t.key, {
      prompt: "Fix #1",
      agent_identity_uid: agent.uid,
      config: { model_id: "m-run" },
    });
    const item = (await call("GET", `${RUNS}/${id}`, { key: t.key })).json;
    expect(item.executor).toEqual({ type: "service_account", uid: agent.uid });
    expect(item.agent_config).toMatchObject({
      base_prompt: "You fix bugs.",
      environment_id: environment,
      model_id: "m-run",
      harness: { type: "codex" },
      agent_identity_uid: agent.uid,
    });
    expect(await runRow(id)).toMatchObject({ environment_id: environment, model_id: "m-run" });
    // later edits to the agent do not reach the past run
    await call("PUT", `${IDS}/${agent.uid}`, { key: t.key, body: { prompt: "Changed." } });
    expect((await call("GET", `${RUNS}/${id}`, { key: t.key })).json.agent_config.base_prompt).toBe(
      "You fix bugs.",
    );
    expectProblem(
      await call("POST", RUNS, {
        key: t.key,
        body: { prompt: "p", agent_identity_uid: agent.uid, team: false },
      }),
      400,
      "invalid_request",
    );
  });
});
