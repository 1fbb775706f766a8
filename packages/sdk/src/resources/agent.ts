import type { RunAgentResponse } from "@ambit/protocol";
import type { AmbitCore, RequestOptions } from "../core/client.ts";
import { APIResource } from "../core/resource.ts";
import { Artifacts } from "./artifacts.ts";
import { Conversations } from "./conversations.ts";
import { EnvVars } from "./env-vars.ts";
import { Environments } from "./environments.ts";
import { Identities } from "./identities.ts";
import { McpServers } from "./mcp-servers.ts";
import { Models } from "./models.ts";
import { Prompts } from "./prompts.ts";
import { Rules } from "./rules.ts";
import { type RunCreateParams, Runs } from "./runs.ts";
import { Schedules } from "./schedules.ts";
import { Secrets } from "./secrets.ts";
import { Skills } from "./skills.ts";

/** `client.agent`: the Oz-compatible agent API: runs and the team's shared configuration. */
export class Agent extends APIResource {
  readonly runs: Runs;
  readonly conversations: Conversations;
  readonly schedules: Schedules;
  readonly environments: Environments;
  readonly secrets: Secrets;
  readonly models: Models;
  readonly mcpServers: McpServers;
  readonly rules: Rules;
  readonly prompts: Prompts;
  readonly envVars: EnvVars;
  readonly identities: Identities;
  readonly skills: Skills;
  readonly artifacts: Artifacts;

  constructor(client: AmbitCore) {
    super(client);
    this.runs = new Runs(client);
    this.conversations = new Conversations(client);
    this.schedules = new Schedules(client);
    this.environments = new Environments(client);
    this.secrets = new Secrets(client);
    this.models = new Models(client);
    this.mcpServers = new McpServers(client);
    this.rules = new Rules(client);
    this.prompts = new Prompts(client);
    this.envVars = new EnvVars(client);
    this.identities = new Identities(client);
    this.skills = new Skills(client);
    this.artifacts = new Artifacts(client);
  }

  /**
   * Creates a run on the legacy path `POST /agent/run` (as `oz-agent-sdk`'s `agent.run`); prefer `runs.create`.
   *
   * @example
   * const { run_id } = await client.agent.run({ prompt: "Fix the flaky test" });
   */
  run(body: RunCreateParams, options?: RequestOptions) {
    return this._client.post<RunAgentResponse>("/agent/run", { body, ...options });
  }
}
