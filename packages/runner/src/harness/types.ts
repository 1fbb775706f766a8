import type { AmbientAgentConfig, AssignedModel, ErrorCode, EventType } from "@ambit/protocol";
import type { Backend } from "../backends/types.ts";

/** An event a harness reports; the runner redacts secrets, numbers it and streams it to the session. */
export type HarnessEvent = { type: EventType; payload: Record<string, unknown> };

/** Follow-ups sent to the run while it is live, in arrival order. */
export interface Followups {
  /** every follow-up that arrived and was not taken yet (empty when none) */
  drain(): string[];
  /** waits for the next follow-up; rejects when `signal` aborts */
  next(signal?: AbortSignal): Promise<string>;
}

/** Everything a harness gets to do one run. */
export interface HarnessContext {
  runId: string;
  prompt: string;
  /** the run's frozen `agent_config` (model, harness, MCP servers, base prompt, skills, …) */
  config: AmbientAgentConfig;
  /**
   * the catalog model when the team's catalog lists `config.model_id` (its key is in `env` under
   * `api_key_secret`); null → pick the provider from the model name and the vendors' variables
   */
  model: AssignedModel | null;
  /** absolute path of the run's workspace; repositories are cloned into it */
  workspace: string;
  /** the run's environment: environment env vars and secrets (no host variables beyond a baseline) */
  env: Record<string, string>;
  /** where processes run (`process` or `docker`); kills whole process trees */
  backend: Backend;
  emit(event: HarnessEvent): void;
  followups: Followups;
  /**
   * Ask a person: the run becomes BLOCKED with `question` until a follow-up arrives, which is
   * returned (the run is INPROGRESS again).
   */
  askUser(question: string, signal?: AbortSignal): Promise<string>;
  /** aborted when the run is cancelled or times out: stop and kill what you started */
  signal: AbortSignal;
  /**
   * This execution resumes the run from its last checkpoint (a follow-up on an ended run, or a
   * host that was lost): the workspace is restored already; `conversation` is what this harness
   * saved with `saveConversation` (null: none, start from the prompt).
   */
  resume?: {
    reason: "followup" | "host_lost";
    checkpointAt: string;
    conversation: { harness: string; state: unknown } | null;
  } | null;
  /** keeps the conversation as it stands for the next checkpoint (JSON-able; no secrets in it) */
  saveConversation?(state: unknown): void;
  /** a turn ended at a follow-up boundary: checkpoint the workspace now */
  checkpoint?(reason: "turn"): void;
}

/** How a harness ended the run. */
export type HarnessOutcome =
  | { state: "SUCCEEDED"; message: string }
  | { state: "FAILED"; message: string; error_code?: ErrorCode }
  | { state: "CANCELLED"; message: string };

export interface Harness {
  readonly type: string;
  run(ctx: HarnessContext): Promise<HarnessOutcome>;
}
