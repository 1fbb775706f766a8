import type { RunEvent } from "@ambit/protocol";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { RunSession } from "../../durable-objects/run-session/run-session.ts";
import type { RunCommand } from "../../durable-objects/run-session/state-machine.ts";
import { runSession } from "../../durable-objects/stubs.ts";
import { uuidv7 } from "../../src/lib/ids.ts";
import { call, type Json } from "./api.ts";

export const RUNS = "/api/v1/agent/runs";

/** Creates a run through the API (asserting 200) and returns its id. */
export async function createRun(
  key: string,
  body: Json = { prompt: "Fix the flaky test" },
  headers?: Record<string, string>,
  path = RUNS,
) {
  const res = await call("POST", path, { key, body, headers });
  expect(res.status, res.text).toBe(200);
  return res.json.run_id as string;
}

/** Lists runs with a raw query string (e.g. `state=QUEUED&state=CANCELLED`), asserting 200. */
export async function listRuns(key: string, query = "", path = RUNS): Promise<Json> {
  const res = await call("GET", `${path}${query ? `?${query}` : ""}`, { key });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** The ids a list answered, in order. */
export const idsOf = (page: Json) =>
  (page.runs ?? page.tasks).map((r: Json) => r.run_id ?? r.task_id) as string[];

/** A D1 `runs` row as the database holds it (snake_case columns). */
export type RunRowSql = {
  id: string;
  team_id: string;
  scope: "Team" | "User";
  creator_type: string;
  creator_id: string;
  title: string;
  prompt: string;
  state: string;
  source: string;
  execution_location: string;
  config_name: string | null;
  model_id: string | null;
  environment_id: string | null;
  skill_spec: string | null;
  schedule_id: string | null;
  agent_config: string | null;
  worker_host: string | null;
  metadata: string | null;
  status_message: string | null;
  summary_seq: number;
  started_at: number | null;
  ended_at: number | null;
  created_at: number;
  updated_at: number;
  /** left out: the column's default (NULL, the scope's default sharing) */
  share_team?: "NONE" | "VIEWER" | "EDITOR" | null;
};

/**
 * Inserts a run row straight into D1, for what the API cannot create yet (schedules, local runs,
 * chosen timestamps) and for a run whose `RunSession` was never initialised.
 */
export async function insertRunRow(
  team: { teamId: string; userId: string },
  overrides: Partial<RunRowSql> = {},
): Promise<RunRowSql> {
  const now = overrides.created_at ?? Date.now();
  const row: RunRowSql = {
    id: uuidv7(now),
    team_id: team.teamId,
    scope: "Team",
    creator_type: "user",
    creator_id: team.userId,
    title: "Inserted run",
    prompt: "Inserted straight into D1",
    state: "QUEUED",
    source: "API",
    execution_location: "REMOTE",
    config_name: null,
    model_id: null,
    environment_id: null,
    skill_spec: null,
    schedule_id: null,
    agent_config: "{}",
    worker_host: null,
    metadata: null,
    status_message: JSON.stringify({ message: "Queued: waiting to be dispatched to a host" }),
    summary_seq: 0,
    started_at: null,
    ended_at: null,
    created_at: now,
    updated_at: now,
    ...overrides,
  };
  const cols = Object.keys(row) as (keyof RunRowSql)[];
  await env.DB.prepare(
    `INSERT INTO runs (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
  )
    .bind(...cols.map((c) => row[c]))
    .run();
  return row;
}

/** Sets a run's timestamps in D1 (lists sort and filter on them; the API cannot choose them). */
export async function setRunTimes(
  runId: string,
  times: { created_at?: number; updated_at?: number },
) {
  const sets = Object.keys(times).map((c) => `${c} = ?`);
  await env.DB.prepare(`UPDATE runs SET ${sets.join(", ")} WHERE id = ?`)
    .bind(...Object.values(times), runId)
    .run();
}

/** The run's D1 row, or null. */
export async function runRow(runId: string) {
  return env.DB.prepare("SELECT * FROM runs WHERE id = ?").bind(runId).first<RunRowSql>();
}

/** The `RunSession` stub of a run (named by its id, as the services name it). */
export const sessionOf = (runId: string) => runSession(env, runId);

/** A page of a run's event log as the `RunSession` answers it (null when the session does not know the run). */
export type EventPage = NonNullable<Awaited<ReturnType<RunSession["events"]>>>;

/**
 * A page of a run's event log from its `RunSession`, with the log's last seq. Typed with the
 * method's own result: RPC typing turns `RunEvent`'s `Record<string, unknown>` payload into `never`.
 */
export async function eventPageOf(
  ref: { runId: string; teamId: string },
  after?: number,
  limit?: number,
): Promise<EventPage | null> {
  return (await sessionOf(ref.runId).events(ref, after, limit)) as EventPage | null;
}

/** A run's event log (one page) from its `RunSession`, or null when the session does not know the run. */
export async function eventsOf(
  ref: { runId: string; teamId: string },
  after?: number,
  limit?: number,
): Promise<RunEvent[] | null> {
  const page = await eventPageOf(ref, after, limit);
  if (page === null) return null;
  expect(page.last_seq).toBeGreaterThanOrEqual(page.events.at(-1)?.seq ?? 0);
  return page.events;
}

export const SYSTEM_ACTOR = { type: "system" as const, id: "system" };
export const HOST_ACTOR = { type: "host" as const, id: "host-1" };

/** Applies state-machine commands through the `RunSession` RPC, asserting each is accepted. */
export async function advance(ref: { runId: string; teamId: string }, ...commands: RunCommand[]) {
  for (const command of commands) {
    const result = await sessionOf(ref.runId).command(
      ref,
      command,
      command === "dispatch" ? SYSTEM_ACTOR : HOST_ACTOR,
    );
    expect(result, command).toMatchObject({ ok: true });
  }
}

export type HostEvent = { host_seq: number; type: string; payload: Json };

/** Appends host events through the `append` RPC (what the host's socket frames do). */
export async function hostAppend(
  ref: { runId: string; teamId: string },
  events: HostEvent[],
  actor = HOST_ACTOR,
) {
  return sessionOf(ref.runId).append(ref, actor, events);
}

/** `n` agent messages with host_seq from `from`, e.g. for filling a log. */
export const messages = (from: number, n: number, text = "step"): HostEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    host_seq: from + i,
    type: "agent.message",
    payload: { text: `${text} ${from + i}` },
  }));

/**
 * Waits until the `RUNS` queue has offered the run to its pool: its D1 row says why it waits (no
 * host connected…), or a host took it. Runs created through the API are dispatched asynchronously
 * (up to ~1 s later); a test that asserts exact timestamps or messages of a queued run waits for
 * this first, so the dispatch cannot land in the middle of it. Reads D1 only: it does not open
 * the run's session.
 */
export async function untilDispatched(
  ref: { runId: string; teamId: string },
  timeoutMs = 8_000,
): Promise<RunRowSql> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await runRow(ref.runId);
    if (
      row &&
      (row.state !== "QUEUED" || !row.status_message?.includes("Queued: waiting to be dispatched"))
    )
      return row;
    if (Date.now() > deadline)
      throw new Error(`run ${ref.runId} was not dispatched within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
