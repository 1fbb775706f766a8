import type {
  ConversationResponse,
  ListRunsQuery,
  ListRunsResponse,
  RunAgentRequest,
  RunAgentResponse,
  RunEvent,
  RunFollowupRequest,
  RunItem,
  RunSharing,
  SessionTokenResponse,
  TimelineResponse,
  UpdateRunSharingRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { PagePromise } from "../core/pagination.ts";
import { APIResource, path } from "../core/resource.ts";
import { RunStream, type RunStreamOptions } from "../core/run-stream.ts";

export type RunCreateParams = z.input<typeof RunAgentRequest>;
/** Every filter of `GET /agent/runs`; `metadata` becomes `metadata[key]=value` pairs (AND, up to 5). */
export type RunListParams = Partial<ListRunsQuery> & { metadata?: Record<string, string> };
export type RunFollowupParams = z.input<typeof RunFollowupRequest>;
export type RunShareParams = z.input<typeof UpdateRunSharingRequest>;
export type SessionToken = z.infer<typeof SessionTokenResponse>;
export type Conversation = z.infer<typeof ConversationResponse>;
export type Timeline = z.infer<typeof TimelineResponse>;
export type RunEventsPage = { events: RunEvent[]; last_seq: number; has_more: boolean };

/** `client.agent.runs`: create, find, steer and watch agent runs. */
export class Runs extends APIResource {
  /**
   * Creates a run (`POST /agent/runs`); it starts `QUEUED`. An `Idempotency-Key` is sent (and
   * kept across retries), so a retried create never makes a second run.
   *
   * @example
   * const { run_id } = await client.agent.runs.create({ prompt: "Fix the flaky test", config: { model_id: "gpt-5" } });
   */
  create(body: RunCreateParams, options?: RequestOptions) {
    return this._client.post<RunAgentResponse>("/agent/runs", { body, ...options });
  }

  /**
   * Lists runs, newest update first by default. Await for one page, or `for await` over every run.
   *
   * @example
   * for await (const run of client.agent.runs.list({ state: ["FAILED", "ERROR"], created_after: "2026-01-01T00:00:00Z" })) {
   *   console.log(run.run_id, run.title);
   * }
   */
  list(
    query: RunListParams = {},
    options?: RequestOptions,
  ): PagePromise<ListRunsResponse, RunItem> {
    return new PagePromise(
      (cursor) =>
        this._client.get<ListRunsResponse>("/agent/runs", {
          ...options,
          query: { ...query, ...(cursor ? { cursor } : {}) },
        }),
      (page) => page.runs,
    );
  }

  /**
   * One run with its resolved config, status message and artifacts.
   *
   * @example
   * const run = await client.agent.runs.retrieve(runId);
   */
  retrieve(runId: string, options?: RequestOptions) {
    return this._client.get<RunItem>(path`/agent/runs/${runId}`, options);
  }

  /**
   * Cancels a run in any non-terminal state; answers the run id. The run reaches `CANCELLED`
   * once its host confirms.
   *
   * @example
   * await client.agent.runs.cancel(runId);
   */
  cancel(runId: string, options?: RequestOptions) {
    return this._client.post<string>(path`/agent/runs/${runId}/cancel`, options);
  }

  /**
   * Sends a follow-up (needs EDITOR access): to the live agent, waking a `BLOCKED` run, or as a
   * new execution of an ended one.
   *
   * @example
   * await client.agent.runs.followup(runId, { message: "also update the docs" });
   */
  followup(runId: string, body: RunFollowupParams, options?: RequestOptions) {
    return this._client.post<Record<string, never>>(path`/agent/runs/${runId}/followups`, {
      body,
      ...options,
    });
  }

  /**
   * Changes who besides its creator sees and steers the run (the creator or an admin): `team`
   * NONE | VIEWER | EDITOR, `public` NONE | VIEWER (a read-only link without a key; NONE revokes it).
   *
   * @example
   * const { public_url } = await client.agent.runs.share(runId, { team: "EDITOR", public: "VIEWER" });
   */
  share(runId: string, body: RunShareParams, options?: RequestOptions) {
    return this._client.patch<RunSharing>(path`/agent/runs/${runId}/sharing`, { body, ...options });
  }

  /**
   * A short-lived attach token for `/session` and `/events` (for clients that cannot send headers).
   *
   * @example
   * const { session_url, access } = await client.agent.runs.sessionToken(runId);
   */
  sessionToken(runId: string, options?: RequestOptions) {
    return this._client.post<SessionToken>(path`/agent/runs/${runId}/session-token`, options);
  }

  /**
   * One page of the run's event log after `after` (JSON, not live; see `stream` for live).
   *
   * @example
   * const { events, has_more } = await client.agent.runs.events(runId, { after: 0, limit: 500 });
   */
  events(runId: string, query: { after?: number; limit?: number } = {}, options?: RequestOptions) {
    return this._client.get<RunEventsPage>(path`/agent/runs/${runId}/events`, {
      ...options,
      query,
    });
  }

  /**
   * The run's events live: replays those after `after`, then follows over the session websocket
   * (or Server-Sent Events where no `WebSocket` exists), reconnecting from the last seq seen.
   * Ends when the run is terminal (unless `untilTerminal: false`).
   *
   * @example
   * for await (const event of client.agent.runs.stream(runId, { after: 0 })) {
   *   if (event.type === "agent.message") console.log(event.payload.text);
   * }
   */
  stream(runId: string, options?: RunStreamOptions): RunStream {
    return new RunStream(this._client, runId, options);
  }

  /**
   * The run's normalized conversation (Oz `ConversationResponse`).
   *
   * @example
   * const { steps } = await client.agent.runs.conversation(runId);
   */
  conversation(runId: string, options?: RequestOptions) {
    return this._client.get<Conversation>(path`/agent/runs/${runId}/conversation`, options);
  }

  /**
   * Lifecycle milestones with timings (Oz `GetRunTimelineResponse`).
   *
   * @example
   * const { events } = await client.agent.runs.timeline(runId);
   */
  timeline(runId: string, options?: RequestOptions) {
    return this._client.get<Timeline>(path`/agent/runs/${runId}/timeline`, options);
  }

  /**
   * The whole event log as NDJSON text, one event per line.
   *
   * @example
   * const lines = (await client.agent.runs.transcript(runId)).trim().split("\n").map((l) => JSON.parse(l));
   */
  transcript(runId: string, options?: RequestOptions) {
    return this._client.get<string>(path`/agent/runs/${runId}/transcript`, {
      ...options,
      headers: { accept: "application/x-ndjson", ...options?.headers },
    });
  }

  /**
   * A checkpoint of the run's workspace and conversation (`latest` by default): the archive's
   * bytes (`decodeCheckpoint` in `@ambit/protocol` reads it) and its id. Whoever may read the run
   * may read them.
   *
   * @example
   * const { checkpointId, bytes } = await client.agent.runs.checkpoint(runId);
   */
  async checkpoint(
    runId: string,
    checkpointId = "latest",
    options?: RequestOptions,
  ): Promise<{ checkpointId: string; bytes: Uint8Array }> {
    const res = await this._client
      .get(path`/agent/runs/${runId}/checkpoints/${checkpointId}`, options)
      .asResponse();
    return {
      checkpointId: res.headers.get("x-ambit-checkpoint-id") ?? checkpointId,
      bytes: new Uint8Array(await res.arrayBuffer()),
    };
  }
}
