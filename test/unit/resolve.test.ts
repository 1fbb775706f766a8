import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/services/config/resolve.ts";
import type { TeamConfig } from "../../src/services/config/team-config.ts";

const T = 1_800_000_000_000;
/** who last wrote a row (the owner: no row holds a creator's personal secrets back) */
const W = { updatedBy: "u", updatedByRole: "owner" as const };
const envRow = (
  id: string,
  over: Partial<TeamConfig["environments"][number]> = {},
): TeamConfig["environments"][number] => ({
  id,
  teamId: "t",
  name: `env ${id}`,
  description: null,
  dockerImage: `img-${id}`,
  repositories: [{ url: `acme/${id}` }],
  setupCommands: [`setup ${id}`],
  envVars: { FROM: id },
  secretNames: [],
  workerHost: null,
  createdBy: "u",
  ...W,
  createdAt: T,
  updatedAt: T,
  ...over,
});
const modelRow = (id: string, isDefault = false): TeamConfig["models"][number] => ({
  teamId: "t",
  id,
  displayName: id,
  provider: "openai",
  model: `${id}-name`,
  baseUrl: null,
  apiKeySecret: null,
  inputPrice: null,
  outputPrice: null,
  cacheReadPrice: null,
  cacheWritePrice: null,
  visionSupported: false,
  description: null,
  reasoningLevel: null,
  isDefault,
  ...W,
  createdAt: T,
  updatedAt: T,
});
const agentRow = (id: string, settings: Record<string, unknown>): TeamConfig["agents"][number] => ({
  id,
  teamId: "t",
  name: id,
  settings,
  createdBy: "u",
  ...W,
  ...W,
  createdAt: T,
  updatedAt: T,
});

const team = (over: Partial<TeamConfig> = {}): TeamConfig => ({
  version: 1,
  environments: [
    envRow("E_RUN"),
    envRow("E_AGENT", { workerHost: "agent-env-host" }),
    envRow("E_TRIGGER", { workerHost: "env-host" }),
  ],
  models: [
    modelRow("m-team"),
    modelRow("m-default", true),
    modelRow("m-run"),
    modelRow("m-agent"),
    modelRow("m-trigger"),
  ],
  mcpServers: [
    {
      id: "MCP1",
      teamId: "t",
      name: "gh",
      description: null,
      config: { command: "gh-mcp", env: { T: "${GH}" } },
      ...W,
      createdAt: T,
      updatedAt: T,
    },
  ],
  rules: [
    {
      id: "R1",
      teamId: "t",
      name: "r",
      content: "be kind",
      enabled: true,
      ...W,
      createdAt: T,
      updatedAt: T,
    },
  ],
  prompts: [
    {
      id: "P1",
      teamId: "t",
      name: "triage",
      prompt: "Triage the issue.",
      description: null,
      ...W,
      createdAt: T,
      updatedAt: T,
    },
  ],
  envVars: [
    { teamId: "t", name: "A", value: "1", description: null, ...W, createdAt: T, updatedAt: T },
  ],
  agents: [
    agentRow("AG", {
      environment_id: "E_AGENT",
      base_model: "m-agent",
      prompt: "agent prompt",
      worker_host: "agent-host",
      harness: { type: "claude" },
      skills: ["a/b:SKILL.md"],
      secrets: [{ name: "AGENT_SECRET" }],
      mcp_servers: {
        x: { url: "https://agent.example/mcp" },
        y: { url: "https://agent.example/y" },
      },
    }),
  ],
  teamSecretNames: [],
  ...over,
});

const resolve = (
  run: Record<string, unknown>,
  opts: {
    agent?: boolean;
    trigger?: Record<string, unknown>;
    team?: TeamConfig;
    prompt?: string;
    saved?: string;
  } = {},
) =>
  resolveConfig({
    run,
    prompt: opts.prompt ?? "do it",
    agentIdentityUid: opts.agent ? "AG" : undefined,
    trigger: opts.trigger,
    team: opts.team ?? team(),
    savedPrompt: opts.saved,
  });

// field, run layer, trigger layer, with the agent?, expected value
const PRECEDENCE: [string, Record<string, unknown>, Record<string, unknown>, boolean, unknown][] = [
  [
    "environment_id: run wins",
    { environment_id: "E_RUN" },
    { environment_id: "E_TRIGGER" },
    true,
    "E_RUN",
  ],
  ["environment_id: agent over trigger", {}, { environment_id: "E_TRIGGER" }, true, "E_AGENT"],
  ["environment_id: trigger alone", {}, { environment_id: "E_TRIGGER" }, false, "E_TRIGGER"],
  ["environment_id: none", {}, {}, false, undefined],
  ["model_id: run wins", { model_id: "m-run" }, { model_id: "m-trigger" }, true, "m-run"],
  ["model_id: agent base_model over trigger", {}, { model_id: "m-trigger" }, true, "m-agent"],
  ["model_id: trigger over team default", {}, { model_id: "m-trigger" }, false, "m-trigger"],
  ["model_id: team default", {}, {}, false, "m-default"],
  ["base_prompt: run wins", { base_prompt: "run" }, { base_prompt: "trigger" }, true, "run"],
  ["base_prompt: agent prompt over trigger", {}, { base_prompt: "trigger" }, true, "agent prompt"],
  [
    "worker_host: run wins",
    { worker_host: "run-host" },
    { worker_host: "trigger-host" },
    true,
    "run-host",
  ],
  ["worker_host: agent over trigger", {}, { worker_host: "trigger-host" }, true, "agent-host"],
  [
    "worker_host: trigger over environment",
    {},
    { worker_host: "trigger-host", environment_id: "E_TRIGGER" },
    false,
    "trigger-host",
  ],
  ["worker_host: environment default", {}, { environment_id: "E_TRIGGER" }, false, "env-host"],
  [
    "harness: run wins",
    { harness: { type: "codex" } },
    { harness: { type: "gemini" } },
    true,
    { type: "codex" },
  ],
  ["harness: agent over trigger", {}, { harness: { type: "gemini" } }, true, { type: "claude" }],
  [
    "skills: run skill_spec replaces agent skills",
    { skill_spec: "r/r:SKILL.md" },
    {},
    true,
    "r/r:SKILL.md",
  ],
  ["name: run over trigger", { name: "run" }, { name: "trigger" }, false, "run"],
  ["name: trigger alone", {}, { name: "trigger" }, false, "trigger"],
];
const FIELD_OF: Record<string, string> = { skills: "skill_spec" };

describe("resolveConfig: run > named agent > schedule/integration > environment > team", () => {
  it.each(PRECEDENCE)("%s", (label, run, trigger, agent, expected) => {
    const field = FIELD_OF[label.split(":")[0]] ?? label.split(":")[0];
    const r = resolve(run, { agent, trigger });
    expect(r.errors).toEqual([]);
    expect((r.config as Record<string, unknown>)[field]).toEqual(expected);
  });

  it("a run's skill_spec drops the agent's skills (one-of), and the agent's skills apply otherwise", () => {
    expect(resolve({ skill_spec: "r/r:SKILL.md" }, { agent: true }).config.skills).toBeUndefined();
    expect(resolve({}, { agent: true }).config).toMatchObject({ skills: ["a/b:SKILL.md"] });
  });

  it("MCP servers merge by name (run wins) and registry references expand with placeholders kept", () => {
    const r = resolve(
      { mcp_servers: { x: { url: "https://run.example/mcp" }, gh: { warp_id: "MCP1" } } },
      { agent: true, trigger: { mcp_servers: { z: { command: "z" } } } },
    );
    expect(r.config.mcp_servers).toEqual({
      z: { command: "z" },
      x: { url: "https://run.example/mcp" },
      y: { url: "https://agent.example/y" },
      gh: { command: "gh-mcp", env: { T: "${GH}" } },
    });
  });

  it("freezes the environment, catalog model, team env vars and enabled rules, and collects secret names", () => {
    const t = team({
      rules: [
        ...team().rules,
        {
          id: "R2",
          teamId: "t",
          name: "off",
          content: "no",
          enabled: false,
          ...W,
          createdAt: T,
          updatedAt: T,
        },
      ],
    });
    t.environments[0].secretNames = ["ENV_SECRET"];
    t.models[2].apiKeySecret = "MODEL_KEY";
    const r = resolve(
      {
        environment_id: "E_RUN",
        model_id: "m-run",
        harness_auth_secrets: { claude_auth_secret_name: "CLAUDE" },
      },
      { agent: true, team: t },
    );
    expect(r.config).toMatchObject({
      environment: {
        uid: "E_RUN",
        name: "env E_RUN",
        docker_image: "img-E_RUN",
        repositories: [{ url: "acme/E_RUN" }],
        setup_commands: ["setup E_RUN"],
        env_vars: { FROM: "E_RUN" },
      },
      model: {
        id: "m-run",
        provider: "openai",
        model: "m-run-name",
        base_url: null,
        api_key_secret: "MODEL_KEY",
      },
      env_vars: { A: "1" },
      rules: [{ name: "r", content: "be kind" }],
      secret_names: ["AGENT_SECRET", "CLAUDE", "ENV_SECRET", "MODEL_KEY"],
      agent_identity_uid: "AG",
    });
  });

  it("a model outside the catalog is kept as given, without a frozen catalog entry; an empty catalog has no default", () => {
    expect(resolve({ model_id: "gpt-9" }).config).not.toHaveProperty("model");
    expect(resolve({ model_id: "gpt-9" }).config.model_id).toBe("gpt-9");
    expect(resolve({}, { team: team({ models: [] }) }).config).not.toHaveProperty("model_id");
  });

  it("drops what a client sends for platform-resolved keys", () => {
    const r = resolve({
      environment: { uid: "fake" },
      env_vars: { EVIL: "1" },
      secret_names: ["X"],
      agent_identity_uid: "AG",
      rules: [],
    });
    expect(r.config).not.toHaveProperty("environment");
    expect(r.config).not.toHaveProperty("agent_identity_uid");
    expect(r.config).not.toHaveProperty("secret_names");
    expect(r.config.env_vars).toEqual({ A: "1" });
  });

  it("saved prompts: by uid or name, the run's prompt appended", () => {
    expect(resolve({}, { saved: "P1", prompt: "" })).toMatchObject({
      prompt: "Triage the issue.",
      config: { saved_prompt: "P1" },
    });
    expect(resolve({}, { saved: "triage", prompt: "Issue #4" }).prompt).toBe(
      "Triage the issue.\n\nIssue #4",
    );
  });

  it("names every reference that does not exist", () => {
    const r = resolveConfig({
      run: { environment_id: "NOPE", mcp_servers: { a: { warp_id: "GONE" } } },
      prompt: "p",
      agentIdentityUid: "NOBODY",
      savedPrompt: "missing",
      team: team(),
    });
    expect(r.errors.map((e) => e.path)).toEqual([
      "agent_identity_uid",
      "config.environment_id",
      "config.mcp_servers.a.warp_id",
      "saved_prompt",
    ]);
    expect(r.errors.map((e) => e.message).join(" ")).toMatch(/'NOBODY'.*'NOPE'.*'GONE'.*'missing'/);
    const viaAgent = resolve({}, { agent: true, team: team({ environments: [] }) });
    expect(viaAgent.errors).toEqual([
      {
        path: "config.environment_id",
        message: expect.stringMatching(/'E_AGENT'.*agent's defaults/),
      },
    ]);
  });
});
