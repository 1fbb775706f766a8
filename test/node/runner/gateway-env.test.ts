// The runner's side of the model gateway: with `assignment.gateway`, every provider's base URL
// variable names the gateway and every key variable the run's credential, so the built-in harness
// and the vendor CLIs call it unchanged; without it, nothing is added.
import type { TaskAssignment } from "@ambit/protocol";
import { describe, expect, it } from "vitest";
import { gatewayEnv, gatewayModel } from "../../../packages/runner/src/run/gateway-env.ts";
import { runEnv } from "../../../packages/runner/src/run/prepare.ts";

const assignment = (over: Partial<TaskAssignment> = {}): TaskAssignment => ({
  task_id: "r1",
  run_id: "r1",
  execution_id: 1,
  task: {
    id: "r1",
    title: "t",
    prompt: "p",
    created_at: "2026-01-01T00:00:00Z",
    agent_config: { harness_auth_secrets: { claude_auth_secret_name: "MY_CLAUDE" } },
    team_id: "t1",
  },
  session: { path: "/api/v1/agent/runs/r1/session", token: "host-token" },
  env_vars: { OPENAI_BASE_URL: "http://elsewhere/v1" },
  environment: null,
  model: { id: "m", provider: "anthropic", model: "claude-x", base_url: null, api_key_secret: "K" },
  secrets: [{ name: "GITHUB_TOKEN", value: "gh" }],
  gateway: { path: "/api/v1/gateway", token: "gw-token" },
  ...over,
});

describe("gateway-env", () => {
  it("points every provider at the gateway with the run credential as every key", () => {
    const env = gatewayEnv(assignment(), "https://ambit.example/");
    expect(env).toMatchObject({
      ANTHROPIC_BASE_URL: "https://ambit.example/api/v1/gateway/anthropic",
      OPENAI_BASE_URL: "https://ambit.example/api/v1/gateway/openai/v1",
      GOOGLE_GEMINI_BASE_URL: "https://ambit.example/api/v1/gateway/gemini",
      ANTHROPIC_API_KEY: "gw-token",
      OPENAI_API_KEY: "gw-token",
      GEMINI_API_KEY: "gw-token",
      K: "gw-token",
      MY_CLAUDE: "gw-token",
      AMBIT_GATEWAY_TOKEN: "gw-token",
    });
    // the gateway wins over a variable of the run naming another server; other secrets stay
    const all = runEnv(assignment(), {}, "https://ambit.example");
    expect(all.OPENAI_BASE_URL).toBe("https://ambit.example/api/v1/gateway/openai/v1");
    expect(all.GITHUB_TOKEN).toBe("gh");
    expect(gatewayModel(assignment(), "https://ambit.example")).toMatchObject({
      base_url: "https://ambit.example/api/v1/gateway/anthropic",
      api_key_secret: "K",
    });
  });

  it("adds nothing when the team's gateway is off", () => {
    const off = assignment({ gateway: null });
    expect(gatewayEnv(off, "https://ambit.example")).toEqual({});
    expect(runEnv(off, {}, "https://ambit.example").OPENAI_BASE_URL).toBe("http://elsewhere/v1");
    expect(gatewayModel(off, "https://ambit.example")?.base_url).toBeNull();
  });
});
