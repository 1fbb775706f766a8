import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";

const MODELS = "/api/v1/agent/models";
const gpt = {
  id: "gpt-5",
  provider: "openai",
  model: "gpt-5",
  api_key_secret: "OPENAI_API_KEY",
  vision_supported: true,
  display_name: "GPT-5",
};
const local = {
  id: "qwen-local",
  provider: "openai",
  model: "qwen3:8b",
  base_url: "http://127.0.0.1:11434/v1",
};

/** The team's cached configuration entries in KV. */
async function cachedEntries(teamId: string) {
  const { keys } = await env.CONFIG.list({ prefix: `team-config:v2:${teamId}:` });
  return keys.map((k) => k.name);
}

describe("models catalog", () => {
  it("lists in the Oz shape with default_model_id; create, replace, delete", async () => {
    const t = await newTeam("models");
    expect((await call("GET", MODELS, { key: t.key })).json).toEqual({
      default_model_id: "",
      models: [],
    });
    const created = await call("POST", MODELS, { key: t.key, body: gpt });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toEqual({
      id: "gpt-5",
      display_name: "GPT-5",
      provider: "OPENAI",
      vision_supported: true,
      api: "openai",
      model: "gpt-5",
      base_url: null,
      api_key_secret: "OPENAI_API_KEY",
      // gpt-5's well-known prices (src/lib/model-prices.ts), USD per million tokens
      prices: { input: 1.25, output: 10, cache_read: 0.125, cache_write: 0 },
      is_default: true,
    });
    // the second is not the default: the answer agrees with the list
    expect((await call("POST", MODELS, { key: t.key, body: local })).json.is_default).toBe(false);
    let list = (await call("GET", MODELS, { key: t.key })).json;
    expect(list.default_model_id).toBe("gpt-5"); // the first added, until one is marked default
    expect(list.models.map((m: any) => [m.id, m.is_default])).toEqual([
      ["gpt-5", true],
      ["qwen-local", false],
    ]);

    const replaced = await call("PUT", `${MODELS}/qwen-local`, {
      key: t.key,
      body: { provider: "anthropic", model: "claude-x", default: true },
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.json).toMatchObject({
      id: "qwen-local",
      provider: "ANTHROPIC",
      api: "anthropic",
      model: "claude-x",
      base_url: null,
      display_name: "qwen-local",
      is_default: true,
    });
    list = (await call("GET", MODELS, { key: t.key })).json;
    expect(list.default_model_id).toBe("qwen-local");
    // marking another default clears the first
    await call("PUT", `${MODELS}/gpt-5`, {
      key: t.key,
      body: { ...gpt, id: undefined, default: true },
    });
    list = (await call("GET", MODELS, { key: t.key })).json;
    expect(list.default_model_id).toBe("gpt-5");
    expect(list.models.filter((m: any) => m.is_default).map((m: any) => m.id)).toEqual(["gpt-5"]);

    expect((await call("DELETE", `${MODELS}/gpt-5`, { key: t.key })).status).toBe(204);
    expect((await call("GET", MODELS, { key: t.key })).json.default_model_id).toBe("qwen-local");
    // the only model is the default even when a replacement does not mark it: PUT says what GET says
    const unmarked = await call("PUT", `${MODELS}/qwen-local`, {
      key: t.key,
      body: { provider: "openai", model: "qwen3:8b" },
    });
    expect(unmarked.json.is_default).toBe(true);
    expect(
      (await call("GET", MODELS, { key: t.key })).json.models.map((m: any) => [m.id, m.is_default]),
    ).toEqual([["qwen-local", true]]);
    expectProblem(
      await call("DELETE", `${MODELS}/gpt-5`, { key: t.key }),
      404,
      "resource_not_found",
    );
  });

  it("validates ids, providers, URLs and secret names; duplicates conflict", async () => {
    const t = await newTeam("models");
    const path = async (b: unknown) =>
      expectProblem(await call("POST", MODELS, { key: t.key, body: b }), 400, "invalid_request")
        .errors[0].path;
    expect(await path({ ...gpt, id: "has space" })).toBe("id");
    expect(await path({ ...gpt, provider: "google" })).toBe("provider");
    expect(await path({ ...gpt, base_url: "not a url" })).toBe("base_url");
    expect(await path({ ...gpt, api_key_secret: "bad-name" })).toBe("api_key_secret");
    await call("POST", MODELS, { key: t.key, body: gpt });
    expectProblem(await call("POST", MODELS, { key: t.key, body: gpt }), 409, "conflict");
  });

  it("writes need admin; another team's model is not found", async () => {
    const t = await newTeam("models");
    const member = await memberKey(t.key, "member");
    const other = await newTeam("models");
    expectProblem(
      await call("POST", MODELS, { key: member.key, body: gpt }),
      403,
      "not_authorized",
    );
    await call("POST", MODELS, { key: t.key, body: gpt });
    expectProblem(
      await call("PUT", `${MODELS}/gpt-5`, { key: member.key, body: gpt }),
      403,
      "not_authorized",
    );
    expectProblem(
      await call("DELETE", `${MODELS}/gpt-5`, { key: member.key }),
      403,
      "not_authorized",
    );
    expect((await call("GET", MODELS, { key: member.key })).json.models).toHaveLength(1);
    expect((await call("GET", MODELS, { key: other.key })).json).toEqual({
      default_model_id: "",
      models: [],
    });
    expectProblem(
      await call("PUT", `${MODELS}/gpt-5`, { key: other.key, body: gpt }),
      404,
      "resource_not_found",
    );
    expectProblem(
      await call("DELETE", `${MODELS}/gpt-5`, { key: other.key }),
      404,
      "resource_not_found",
    );
  });

  it("reads are served from KV; every write invalidates, so the next read in the team sees it", async () => {
    const t = await newTeam("models");
    await call("POST", MODELS, { key: t.key, body: gpt });
    await call("GET", MODELS, { key: t.key });
    const [entry] = await cachedEntries(t.teamId);
    expect(entry).toBeDefined();
    // the cache is really what answers: change D1 behind its back and the read does not see it
    await env.DB.prepare(
      "UPDATE models SET display_name = 'changed behind the cache' WHERE team_id = ?",
    )
      .bind(t.teamId)
      .run();
    expect((await call("GET", MODELS, { key: t.key })).json.models[0].display_name).toBe("GPT-5");
    // a write through the API drops the entry and the very next read is current
    await call("PUT", `${MODELS}/gpt-5`, {
      key: t.key,
      body: { ...gpt, id: undefined, display_name: "GPT-5 (new)" },
    });
    expect(await cachedEntries(t.teamId)).not.toContain(entry);
    expect((await call("GET", MODELS, { key: t.key })).json.models[0].display_name).toBe(
      "GPT-5 (new)",
    );
    // and so for every kind of configuration write, e.g. a secret, an env var, an environment
    for (const write of [
      () => call("POST", "/api/v1/agent/secrets", { key: t.key, body: { name: "S", value: "v" } }),
      () => call("PUT", "/api/v1/agent/env-vars/A", { key: t.key, body: { value: "1" } }),
      () => call("POST", "/api/v1/agent/environments", { key: t.key, body: { name: "e" } }),
      () => call("POST", "/api/v1/agent/rules", { key: t.key, body: { name: "r", content: "c" } }),
      () => call("DELETE", `${MODELS}/gpt-5`, { key: t.key }),
    ]) {
      await call("GET", MODELS, { key: t.key });
      const before = await cachedEntries(t.teamId);
      expect(before).toHaveLength(1);
      expect((await write()).status).toBeLessThan(300);
      expect(await cachedEntries(t.teamId)).not.toContain(before[0]);
    }
    expect((await call("GET", MODELS, { key: t.key })).json.models).toEqual([]);
  });
});
