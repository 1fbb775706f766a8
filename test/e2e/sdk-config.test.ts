// @ambit/sdk's shared-configuration resources against a real `wrangler dev`: a create / list /
// retrieve / update / delete round trip for each (environments, secrets, models, MCP servers,
// rules, saved prompts, env vars, named agents, skills), team limits, runs that use them, and the
// error classes the API's 400 / 403 / 404 / 409 answers become.
import { randomUUID } from "node:crypto";
import {
  Ambit,
  type APIError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
} from "@ambit/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eServer, startE2eServer } from "./helpers.ts";

let s: E2eServer;
let client: Ambit;
let member: Ambit;
let viewer: Ambit;

beforeAll(async () => {
  s = await startE2eServer({ teamName: "sdk-config" });
  client = new Ambit({ apiKey: s.key, baseURL: s.url });
  const keyFor = async (role: "member" | "viewer") => {
    const m = await client.team.members.add({ email: `${role}-${randomUUID()}@example.com`, role });
    // the owner's key for them is delegated; the member makes their own with it (personal secrets need it)
    const delegated = new Ambit({
      apiKey: (await client.apiKeys.create({ name: role, user_uid: m.uid })).key,
      baseURL: s.url,
    });
    return new Ambit({
      apiKey: (await delegated.apiKeys.create({ name: `${role}'s own` })).key,
      baseURL: s.url,
    });
  };
  [member, viewer] = await Promise.all([keyFor("member"), keyFor("viewer")]);
});
afterAll(async () => {
  await s?.stop();
});

async function rejection(p: PromiseLike<unknown>): Promise<APIError> {
  try {
    throw new Error(`expected a rejection, got ${JSON.stringify(await p)}`);
  } catch (err) {
    return err as APIError;
  }
}

describe("environments", () => {
  it("create, list, retrieve, update, delete; 400 names the field, 403 for a viewer, 404 after delete", async () => {
    const env = await client.agent.environments.create({
      name: "api",
      repositories: [{ url: "acme/api", ref: "main" }],
      setup_commands: ["npm ci"],
      env_vars: { CI: "1" },
    });
    expect(env).toMatchObject({
      uid: expect.any(String),
      config: {
        name: "api",
        github_repos: [{ owner: "acme", repo: "api" }],
        setup_commands: ["npm ci"],
        env_vars: { CI: "1" },
      },
    });
    expect(
      (await client.agent.environments.list({ sort_by: "name" })).environments.map((e) => e.uid),
    ).toContain(env.uid);
    expect((await client.agent.environments.retrieve(env.uid)).config.repositories).toEqual([
      { url: "acme/api", ref: "main" },
    ]);
    const updated = await client.agent.environments.update(env.uid, {
      name: "api",
      setup_commands: ["npm ci", "npm run build"],
    });
    expect(updated.config).toMatchObject({
      setup_commands: ["npm ci", "npm run build"],
      repositories: [],
      env_vars: {},
    });

    const bad = await rejection(client.agent.environments.create({ name: "" }));
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad.errors?.map((e) => e.path)).toContain("name");
    expect(await rejection(viewer.agent.environments.create({ name: "nope" }))).toBeInstanceOf(
      PermissionDeniedError,
    );

    await client.agent.environments.delete(env.uid);
    expect(await rejection(client.agent.environments.retrieve(env.uid))).toBeInstanceOf(
      NotFoundError,
    );
    expect(await rejection(client.agent.environments.delete(env.uid))).toBeInstanceOf(
      NotFoundError,
    );
  });
});

describe("secrets", () => {
  it("team and personal secrets round trip; the value never comes back; rotate answers the key id", async () => {
    const value = `sk-${randomUUID()}`;
    const created = await client.agent.secrets.create({
      name: "OPENAI_API_KEY",
      value,
      type: "openai_api_key",
      description: "team key",
    });
    expect(created).toMatchObject({
      name: "OPENAI_API_KEY",
      type: "openai_api_key",
      scope: { type: "Team" },
      description: "team key",
    });
    const personal = await member.agent.secrets.create({
      name: "OPENAI_API_KEY",
      value: "mine",
      scope: "personal",
    });
    expect(personal.scope.type).toBe("User");

    const listed = await client.agent.secrets.list();
    expect(listed.secrets.map((x) => x.name)).toContain("OPENAI_API_KEY");
    expect(JSON.stringify(listed)).not.toContain(value);
    const updated = await client.agent.secrets.update("OPENAI_API_KEY", {
      value: `${value}-2`,
      description: null,
    });
    expect(updated.description).toBeNull();
    expect(JSON.stringify(updated)).not.toContain(value);
    expect(
      (
        await member.agent.secrets.update(
          "OPENAI_API_KEY",
          { description: "mine" },
          { scope: "personal" },
        )
      ).description,
    ).toBe("mine");

    expect(
      await rejection(client.agent.secrets.create({ name: "OPENAI_API_KEY", value: "again" })),
    ).toBeInstanceOf(ConflictError);
    const badName = await rejection(client.agent.secrets.create({ name: "1-bad", value: "x" }));
    expect(badName).toBeInstanceOf(BadRequestError);
    expect(badName.errors?.[0]).toMatchObject({
      path: "name",
      message: expect.stringMatching(/environment variable name/),
    });
    expect(
      await rejection(member.agent.secrets.create({ name: "TEAM_ONLY", value: "x" })),
    ).toBeInstanceOf(PermissionDeniedError);

    await member.agent.secrets.delete("OPENAI_API_KEY", { scope: "personal" });
    await client.agent.secrets.delete("OPENAI_API_KEY");
    expect(await rejection(client.agent.secrets.delete("OPENAI_API_KEY"))).toBeInstanceOf(
      NotFoundError,
    );
    expect(await client.agent.secrets.rotate()).toEqual({
      rewrapped: false,
      key_id: expect.any(String),
    });
    expect(await rejection(member.agent.secrets.rotate())).toBeInstanceOf(PermissionDeniedError);
  });
});

describe("models", () => {
  it("create, list with the default, update (full replacement), delete; 409 on a duplicate id", async () => {
    await client.agent.models.create({ id: "first", provider: "openai", model: "gpt-5" });
    const local = await client.agent.models.create({
      id: "local",
      provider: "openai",
      model: "qwen3",
      base_url: "http://127.0.0.1:9/v1",
      default: true,
    });
    expect(local).toMatchObject({
      id: "local",
      api: "openai",
      provider: "OPENAI",
      base_url: "http://127.0.0.1:9/v1",
      is_default: true,
    });
    const list = await client.agent.models.list();
    expect(list.default_model_id).toBe("local");
    expect(list.models.map((m) => m.id)).toEqual(expect.arrayContaining(["first", "local"]));
    const updated = await client.agent.models.update("first", {
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      default: true,
    });
    expect(updated).toMatchObject({
      api: "anthropic",
      provider: "ANTHROPIC",
      is_default: true,
      base_url: null,
    });
    expect((await client.agent.models.list()).default_model_id).toBe("first");

    // a run naming the model freezes the catalog entry into its agent_config
    const { run_id } = await client.agent.runs.create({
      prompt: "use the local model",
      config: { model_id: "local" },
    });
    expect((await client.agent.runs.retrieve(run_id)).agent_config).toMatchObject({
      model_id: "local",
      model: { id: "local", model: "qwen3" },
    });

    expect(
      await rejection(client.agent.models.create({ id: "local", provider: "openai", model: "x" })),
    ).toBeInstanceOf(ConflictError);
    expect(await rejection(member.agent.models.delete("local"))).toBeInstanceOf(
      PermissionDeniedError,
    );
    await client.agent.models.delete("local");
    await client.agent.models.delete("first");
    expect(
      await rejection(client.agent.models.update("local", { provider: "openai", model: "x" })),
    ).toBeInstanceOf(NotFoundError);
    expect((await client.agent.models.list()).models).toEqual([]);
  });
});

describe("MCP servers, rules, saved prompts", () => {
  it("each: create, list, retrieve, replace, delete", async () => {
    const mcp = await client.agent.mcpServers.create({
      name: "github",
      config: {
        command: "npx",
        args: ["-y", "server-github"],
        env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" },
      },
    });
    expect(mcp.config.env).toEqual({ GITHUB_TOKEN: "${GITHUB_TOKEN}" });
    expect((await client.agent.mcpServers.list()).mcp_servers.map((m) => m.uid)).toContain(mcp.uid);
    expect(
      (
        await client.agent.mcpServers.update(mcp.uid, {
          name: "docs",
          config: { url: "https://mcp.example.com/mcp" },
        })
      ).config,
    ).toEqual({ url: "https://mcp.example.com/mcp" });
    expect((await client.agent.mcpServers.retrieve(mcp.uid)).name).toBe("docs");
    const badMcp = await rejection(
      client.agent.mcpServers.create({
        name: "both",
        config: { command: "x", url: "https://x.example.com" },
      }),
    );
    expect(badMcp).toBeInstanceOf(BadRequestError);
    expect(badMcp.detail).toMatch(/exactly one of command or url/);
    await client.agent.mcpServers.delete(mcp.uid);
    expect(await rejection(client.agent.mcpServers.retrieve(mcp.uid))).toBeInstanceOf(
      NotFoundError,
    );

    const rule = await client.agent.rules.create({
      name: "tests",
      content: "Run the tests before you commit.",
    });
    expect(rule.enabled).toBe(true);
    expect(
      (
        await client.agent.rules.update(rule.uid, {
          name: "tests",
          content: "Run all tests.",
          enabled: false,
        })
      ).enabled,
    ).toBe(false);
    expect((await client.agent.rules.list()).rules).toEqual([
      expect.objectContaining({ uid: rule.uid, content: "Run all tests." }),
    ]);
    expect(await rejection(member.agent.rules.create({ name: "x", content: "y" }))).toBeInstanceOf(
      PermissionDeniedError,
    );
    await client.agent.rules.delete(rule.uid);
    expect((await client.agent.rules.list()).rules).toEqual([]);

    const prompt = await member.agent.prompts.create({
      name: "triage",
      prompt: "Triage the newest issues.",
      description: "daily",
    });
    expect((await client.agent.prompts.retrieve(prompt.uid)).prompt).toBe(
      "Triage the newest issues.",
    );
    expect(
      (
        await member.agent.prompts.update(prompt.uid, {
          name: "triage",
          prompt: "Triage and label.",
        })
      ).description,
    ).toBeNull();
    expect((await client.agent.prompts.list()).prompts.map((p) => p.name)).toEqual(["triage"]);
    const { run_id } = await client.agent.runs.create({
      saved_prompt: "triage",
      prompt: "Only the api repo.",
    });
    const run = await client.agent.runs.retrieve(run_id);
    expect(run.prompt).toMatch(/^Triage and label\.[\s\S]*Only the api repo\.$/);
    expect(run.agent_config?.saved_prompt).toBe(prompt.uid);
    await member.agent.prompts.delete(prompt.uid);
    const gone = await rejection(client.agent.runs.create({ saved_prompt: "triage" }));
    expect(gone).toBeInstanceOf(BadRequestError);
    expect(gone.errors?.map((e) => e.path)).toContain("saved_prompt");
  });
});

describe("env vars, named agents, skills, team limits", () => {
  it("env vars: set creates then replaces, list, delete, 404 after", async () => {
    const { data, response } = await client.agent.envVars
      .set("NODE_ENV", { value: "test" })
      .withResponse();
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ name: "NODE_ENV", value: "test" });
    expect(
      (
        await client.agent.envVars
          .set("NODE_ENV", { value: "ci", description: "where" })
          .withResponse()
      ).response.status,
    ).toBe(200);
    expect((await client.agent.envVars.list()).env_vars).toEqual([
      expect.objectContaining({ name: "NODE_ENV", value: "ci", description: "where" }),
    ]);
    expect(await rejection(member.agent.envVars.set("X", { value: "y" }))).toBeInstanceOf(
      PermissionDeniedError,
    );
    await client.agent.envVars.delete("NODE_ENV");
    expect(await rejection(client.agent.envVars.delete("NODE_ENV"))).toBeInstanceOf(NotFoundError);
  });

  it("named agents: create, list, retrieve, partial update, run as one, delete", async () => {
    const agent = await client.agent.identities.create({
      name: "triage",
      description: "triages",
      prompt: "You triage issues.",
      base_model: "gpt-5",
    });
    expect(agent).toMatchObject({
      uid: expect.any(String),
      name: "triage",
      base_model: "gpt-5",
      secrets: [],
      skills: [],
    });
    expect((await client.agent.identities.list()).agents.map((a) => a.uid)).toContain(agent.uid);
    const updated = await client.agent.identities.update(agent.uid, {
      description: "",
      skills: ["acme/api:review"],
    });
    expect(updated).toMatchObject({
      name: "triage",
      base_model: "gpt-5",
      skills: ["acme/api:review"],
    });
    expect(updated.description ?? null).toBeNull();
    expect((await client.agent.identities.retrieve(agent.uid)).skills).toEqual(["acme/api:review"]);
    const { run_id } = await client.agent.runs.create({
      agent_identity_uid: agent.uid,
      prompt: "triage today's issues",
    });
    expect((await client.agent.runs.retrieve(run_id)).agent_config).toMatchObject({
      agent_identity_uid: agent.uid,
    });
    expect(await rejection(member.agent.identities.create({ name: "x" }))).toBeInstanceOf(
      PermissionDeniedError,
    );
    await client.agent.identities.delete(agent.uid);
    expect(await rejection(client.agent.identities.retrieve(agent.uid))).toBeInstanceOf(
      NotFoundError,
    );
  });

  it("skills: register, list grouped by name, edit in place, delete", async () => {
    const content =
      "---\nname: review\ndescription: Reviews a pull request\n---\nReview the diff.\n";
    const r = await member.agent.skills.register({
      repo: "acme/api",
      skill_path: ".claude/skills/review/SKILL.md",
      content,
    });
    expect(r).toEqual({
      id: "acme/api:.claude/skills/review/SKILL.md",
      name: "review",
      error: null,
    });
    const { agents } = await client.agent.skills.list({ repo: "acme/api" });
    expect(agents).toEqual([
      expect.objectContaining({
        name: "review",
        variants: [expect.objectContaining({ id: r.id, description: "Reviews a pull request" })],
      }),
    ]);
    expect(
      await rejection(
        viewer.agent.skills.register({ repo: "acme/api", skill_path: "SKILL.md", content }),
      ),
    ).toBeInstanceOf(PermissionDeniedError);
    // edited in place: the same id, a new text and host pool
    const edited = await member.agent.skills.update(r.id, {
      content: content.replace("Review the diff.", "Read it."),
      worker_host: "box",
    });
    expect(edited).toEqual({ id: r.id, name: "review", error: null });
    expect((await client.agent.skills.list()).agents[0].variants).toEqual([
      expect.objectContaining({
        id: r.id,
        base_prompt: "Read it.",
        source: expect.objectContaining({ worker_host: "box" }),
      }),
    ]);
    expect(await rejection(viewer.agent.skills.update(r.id, { worker_host: null }))).toBeInstanceOf(
      PermissionDeniedError,
    );
    await client.agent.skills.delete(r.id);
    expect((await client.agent.skills.list()).agents).toEqual([]);
    expect(await rejection(client.agent.skills.update(r.id, { content }))).toBeInstanceOf(
      NotFoundError,
    );
    expect(await rejection(client.agent.skills.delete(r.id))).toBeInstanceOf(NotFoundError);
  });

  it("team.update renames and changes limits; a member may not; 400 names the bad limit", async () => {
    const team = await client.team.update({
      limits: { max_concurrent_runs: 3, max_run_time_seconds: 4 * 3600 },
    });
    expect(team.limits).toEqual({ max_concurrent_runs: 3, max_run_time_seconds: 14_400 });
    expect((await client.team.update({ name: "renamed" })).limits.max_concurrent_runs).toBe(3);
    expect((await client.team.retrieve()).name).toBe("renamed");
    expect(await rejection(member.team.update({ name: "mine" }))).toBeInstanceOf(
      PermissionDeniedError,
    );
    const bad = await rejection(client.team.update({ limits: { max_run_time_seconds: 5 } }));
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad.errors?.[0]?.path).toMatch(/max_run_time_seconds/);
  });
});
