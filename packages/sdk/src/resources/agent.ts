import type { RunAgentResponse } from "@ambit/protocol";
import type { AmbitCore, RequestOptions } from "../core/client.ts";
import { APIResource } from "../core/resource.ts";
import { Conversations } from "./conversations.ts";
import { type RunCreateParams, Runs } from "./runs.ts";
import { Schedules } from "./schedules.ts";

/** `client.agent`: the Oz-compatible agent API. */
export class Agent extends APIResource {
  readonly runs: Runs;
  readonly conversations: Conversations;
  readonly schedules: Schedules;

  constructor(client: AmbitCore) {
    super(client);
    this.runs = new Runs(client);
    this.conversations = new Conversations(client);
    this.schedules = new Schedules(client);
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
