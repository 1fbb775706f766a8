import type {
  AmbientAgentConfig,
  AssignedSecret,
  PlatformEventMessage,
  ReportArtifactRequest,
  RunAgentRequest,
  RunSourceType,
} from "@ambit/protocol";
import type { z } from "zod";
import type { OAuthDescriptor } from "./oauth.ts";

/**
 * What one type of integration (`github`, `webhook`, `slack`, later `linear`) brings to the
 * framework (`src/integrations/`): how its deliveries are verified, what a delivery asks for, and
 * how a run's progress goes back to where it started. The framework owns the rest: the resource,
 * sealing credentials, the inbound URL, the delivery log, deduplication, the queue, creating the
 * run (trigger layer of configuration resolution) and follow-ups on a thread's active run.
 */
export interface IntegrationKind<Credentials = unknown, Settings = unknown> {
  type: "github" | "webhook" | "slack" | "linear";
  /** write-only credentials, sealed with the team's envelope key (never in a response or log) */
  credentials: z.ZodType<Credentials>;
  /** triggers, filters, maps and templates: shown to members, written by admins */
  settings: z.ZodType<Settings>;
  /** How the kind is installed with OAuth (src/integrations/oauth.ts), if it can be. */
  oauth?: OAuthDescriptor;
  /**
   * Credentials the server makes for an integration created without them (a generic webhook's
   * `whsec_` secret): shown once, in the create response.
   */
  generateCredentials?(): Partial<Credentials>;
  /**
   * An answer given BEFORE the signature check, for a sender's unsigned probe (Slack's
   * `ssl_check=1` health check, which may come unsigned). Pure: no network, no D1; it sees the
   * raw request only. Whatever it answers is neither recorded nor queued, so it must be a fixed,
   * content-free reply (it is open to anyone who knows the inbound URL). Absent or `undefined`:
   * the request goes on to `verify`.
   */
  preVerify?(input: { headers: Headers; body: Uint8Array }): InboundReply | undefined;
  /**
   * Checks a delivery's signature over the raw bytes, in constant time, before anything is parsed;
   * a stale timestamp fails too. Runs inside the inbound request: no network, no D1.
   */
  verify(input: {
    headers: Headers;
    body: Uint8Array;
    credentials: Credentials;
    now: number;
  }): Promise<Verified>;
  /**
   * Reads a verified body into the payload `decide` gets (stored as JSON, so a redelivery reads
   * it the same way). Absent: the body must be JSON. For senders that post forms (Slack's slash
   * commands and buttons). `null`: malformed, answered 400 and recorded `rejected`.
   */
  parse?(input: { headers: Headers; body: Uint8Array }): unknown | null;
  /**
   * The immediate answer to a verified delivery, for senders that expect one within their
   * deadline (Slack's `url_verification` challenge, a slash command's short ephemeral text).
   * Pure: no network, no D1. `record: false` answers without recording or queueing anything (a
   * handshake). Absent or `undefined`: the framework's `202 {delivery_id}`.
   */
  reply?(input: { event: string; payload: unknown }): InboundReply | undefined;
  /**
   * What a verified delivery asks for, worked out in the queue consumer (it may call the sender's
   * API: fetch a thread, a diff, a log; react to the comment). Never throws for a delivery that is
   * merely uninteresting: that is `ignore` with the reason.
   */
  decide(input: {
    env: Env;
    integration: IntegrationRecord<Credentials, Settings>;
    /** `senderId`: the sender's own id of the delivery (`X-GitHub-Delivery`), when it gave one */
    delivery: {
      id: string;
      senderId?: string;
      event: string;
      payload: unknown;
      receivedAt: number;
    };
  }): Promise<Decision>;
  /**
   * Tells the origin how a run it started is going (a comment edited on each state change, the
   * outcome and pull request at the end). Called from the `EVENTS` queue consumer for runs this
   * integration started; `thread` is what `decide` returned with the run, with the state the last
   * report returned. Returning `{state}` replaces the thread's state (e.g. the id of the comment
   * it posted, to edit it next time).
   */
  report?(input: {
    env: Env;
    integration: IntegrationRecord<Credentials, Settings>;
    thread: Thread;
    event: PlatformEventMessage;
    // biome-ignore lint/suspicious/noConfusingVoidType: a stateless kind returns nothing
  }): Promise<void | { state?: Record<string, unknown> }>;
  /**
   * Credentials a run this integration started gets as secrets (e.g. GitHub's `GITHUB_TOKEN`, to
   * push and open its pull request as the integration), made at each assignment of the run
   * (durable-objects/host-pool/assignment.ts) and treated as its secrets are: sent to the holder
   * only, never stored, logged or evented, and redacted from the run's events. They replace team
   * and personal secrets of the same name.
   */
  runSecrets?(input: {
    env: Env;
    integration: IntegrationRecord<Credentials, Settings>;
    thread: Thread;
  }): Promise<AssignedSecret[]>;
}

/** What a kind answers a delivery at once, instead of the framework's JSON `202`. */
export type InboundReply = {
  contentType: string;
  body: string;
  /** false: a handshake, neither recorded nor queued */
  record: boolean;
};

export type Verified =
  | { ok: true; deliveryId: string; event: string }
  /** `401` bad or missing signature or stale timestamp (answered with an empty body) */
  | { ok: false; status: 401; reason: string };

/** Where a conversation lives at the origin: an issue or PR thread, a Slack thread, a Linear session. */
export type Thread = {
  /** stable across deliveries of the same thread, e.g. `github:acme/api#42` */
  key: string;
  /** the origin's page, becomes the run's `trigger_url` */
  url?: string;
  /** what `report` needs to find its way back (e.g. the comment it keeps editing) */
  state?: Record<string, unknown>;
};

export type Decision =
  | {
      kind: "start_run";
      request: RunAgentRequest;
      source: RunSourceType;
      thread: Thread;
      /** the integration's run defaults, below the request in configuration resolution */
      triggerConfig?: AmbientAgentConfig;
      /**
       * What to send instead when `thread.key` already has a run (a mention on a thread whose run
       * is active, or ended: its next execution); absent: a new run each time.
       */
      followup?: { message: string; sender: string };
      /** the team member the run is created as (a Slack user linked to them); absent: the integration's actor */
      actAs?: string;
      /** artifacts the run has from its first moment (e.g. the Linear issue it works on) */
      artifacts?: ReportArtifactRequest[];
    }
  /** a message for the run active on this thread (or the next execution of its last run) */
  | { kind: "followup"; thread: Thread; message: string; sender: string; actAs?: string }
  /**
   * Cancels the run of `thread` as team member `actAs` (a Slack Cancel button): only if they may
   * (EDITOR access to the run); a refusal is told to `refused` and recorded `ignored`.
   */
  | {
      kind: "cancel";
      thread: Thread;
      actAs: string;
      refused?: (message: string) => Promise<void>;
    }
  | { kind: "ignore"; reason: string }
  /**
   * The sender says the integration can no longer act (Slack's `app_uninstalled`,
   * `tokens_revoked`): it is disabled, and `reason` is recorded on the delivery for the admin.
   */
  | { kind: "disable"; reason: string };

/** An integration as a kind sees it: credentials unsealed, settings parsed. */
export type IntegrationRecord<Credentials, Settings> = {
  id: string;
  teamId: string;
  type: IntegrationKind["type"];
  name: string;
  enabled: boolean;
  credentials: Credentials;
  settings: Settings;
  /** the run defaults it applies (environment, model, named agent, host pool, sharing) */
  runDefaults: AmbientAgentConfig;
  /** the integration's own prompt template, if an admin set one (the kind has its default) */
  promptTemplate?: string | null;
};
