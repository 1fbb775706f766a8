import type { RunEvent } from "@ambit/protocol";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectProblem, type Json, memberKey, newTeam } from "../helpers/api.ts";
import { advance, createRun, eventsOf, hostAppend, RUNS, runRow } from "../helpers/runs.ts";

const PROMPT = "Fix the flaky test in src/util";
const USAGE = { model_id: "m1", input_tokens: 120, output_tokens: 30 };

/**
 * A run with a whole record: two executions (the second started by a follow-up), agent messages,
 * a tool call and its result, command output, usage and a harness setup step.
 */
async function recordedRun() {
  const team = await newTeam("record");
  const member = await memberKey(team.key, "member");
  const runId = await createRun(team.key, { prompt: PROMPT });
  const ref = { runId, teamId: team.teamId };
  await advance(ref, "dispatch", "claim");
  await hostAppend(ref, [
    {
      host_seq: 1,
      type: "setup.step",
      payload: { phase: "harness", name: "claude", status: "succeeded", duration_ms: 900 },
    },
  ]);
  await new Promise((r) => setTimeout(r, 20)); // a visible gap before the agent starts
  await advance(ref, "start");
  const first = await hostAppend(ref, [
    {
      host_seq: 2,
      type: "agent.message",
      payload: { text: "Looking at the test", message_id: "m1" },
    },
    {
      host_seq: 3,
      type: "agent.tool_call",
      payload: {
        call_id: "t1",
        name: "run_command",
        category: "command",
        input: { command: "npm test" },
      },
    },
    {
      host_seq: 4,
      type: "command.output",
      payload: { call_id: "t1", stream: "stdout", chunk: "1 failing\n" },
    },
    {
      host_seq: 5,
      type: "agent.tool_result",
      payload: { call_id: "t1", name: "run_command", state: "completed", output: { exit_code: 1 } },
    },
    {
      host_seq: 6,
      type: "agent.tool_call",
      payload: {
        call_id: "t2",
        name: "edit_file",
        category: "files",
        input: { path: "src/util/a.ts" },
      },
    },
    {
      host_seq: 7,
      type: "agent.tool_result",
      payload: { call_id: "t2", name: "edit_file", state: "completed", output: { ok: true } },
    },
    { host_seq: 8, type: "agent.message", payload: { text: "Fixed it" } },
    { host_seq: 9, type: "usage", payload: USAGE },
  ]);
  expect(first).toMatchObject({ ok: true, refused: [] });
  await advance(ref, "succeed");
  const res = await call("POST", `${RUNS}/${runId}/followups`, {
    key: member.key,
    body: { message: "Now update the docs" },
  });
  expect(res.status, res.text).toBe(200);
  await advance(ref, "dispatch", "claim", "start");
  await hostAppend(ref, [
    { host_seq: 1, type: "agent.message", payload: { text: "Docs updated" } },
  ]);
  await advance(ref, "succeed");
  return { team, member, runId, ref, events: (await eventsOf(ref))! };
}

const at = (events: RunEvent[], type: string, nth = 1) =>
  events.filter((e) => e.type === type)[nth - 1].at;

describe("GET /agent/runs/{id}/conversation", () => {
  it("builds the Oz ConversationResponse from the events: one step per execution", async () => {
    const { team, member, runId, events } = await recordedRun();
    const res = await call("GET", `${RUNS}/${runId}/conversation`, { key: team.key });
    expect(res.status, res.text).toBe(200);
    const created = events[0];
    const followup = events.find((e) => e.type === "followup.received")!;
    expect(followup).toMatchObject({ execution_id: 2, actor: { id: member.userId } });
    expect(res.json).toEqual({
      conversation_id: runId,
      steps: [
        {
          id: "execution-1",
          started_at: created.at,
          completed_at: at(events, "usage"),
          steps: [],
          messages: [
            { role: "user", timestamp: created.at, content: [{ type: "text", text: PROMPT }] },
            {
              role: "system",
              timestamp: at(events, "setup.step"),
              content: [
                {
                  type: "event",
                  name: "setup.step",
                  data: expect.objectContaining({ phase: "harness", status: "succeeded" }),
                },
              ],
            },
            {
              role: "assistant",
              timestamp: at(events, "agent.message"),
              content: [
                { type: "text", text: "Looking at the test", message_id: "m1" },
                {
                  type: "action",
                  id: "t1",
                  category: "command",
                  name: "run_command",
                  input: { command: "npm test" },
                },
              ],
            },
            {
              role: "tool",
              timestamp: at(events, "agent.tool_result"),
              content: [
                {
                  type: "action_result",
                  action_id: "t1",
                  category: "command",
                  name: "run_command",
                  state: "completed",
                  output: { exit_code: 1 },
                },
              ],
            },
            {
              role: "assistant",
              timestamp: at(events, "agent.tool_call", 2),
              content: [
                {
                  type: "action",
                  id: "t2",
                  category: "files",
                  name: "edit_file",
                  input: { path: "src/util/a.ts" },
                },
              ],
            },
            {
              role: "tool",
              timestamp: at(events, "agent.tool_result", 2),
              content: [
                {
                  type: "action_result",
                  action_id: "t2",
                  category: "files",
                  name: "edit_file",
                  state: "completed",
                  output: { ok: true },
                },
              ],
            },
            {
              role: "assistant",
              timestamp: at(events, "agent.message", 2),
              content: [{ type: "text", text: "Fixed it" }],
            },
            {
              role: "system",
              timestamp: at(events, "usage"),
              content: [{ type: "event", name: "usage", data: USAGE }],
            },
          ],
        },
        {
          id: "execution-2",
          started_at: followup.at,
          completed_at: at(events, "agent.message", 3),
          steps: [],
          messages: [
            {
              role: "user",
              timestamp: followup.at,
              content: [{ type: "text", text: "Now update the docs" }],
            },
            {
              role: "assistant",
              timestamp: at(events, "agent.message", 3),
              content: [{ type: "text", text: "Docs updated" }],
            },
          ],
        },
      ],
    });
    // action ids and result ids pair up
    const blocks = res.json.steps.flatMap((s: Json) => s.messages.flatMap((m: Json) => m.content));
    const actions = blocks.filter((b: Json) => b.type === "action").map((b: Json) => b.id);
    expect(
      blocks.filter((b: Json) => b.type === "action_result").map((b: Json) => b.action_id),
    ).toEqual(actions);
  });

  it("is also served at GET /agent/conversations/{id}, for viewers too", async () => {
    const { team, runId } = await recordedRun();
    const viewer = await memberKey(team.key, "viewer");
    const byRun = await call("GET", `${RUNS}/${runId}/conversation`, { key: viewer.key });
    const byId = await call("GET", `/api/v1/agent/conversations/${runId}`, { key: viewer.key });
    expect(byId.status, byId.text).toBe(200);
    expect(byId.json).toEqual(byRun.json);
  });

  it("shows the prompt of a run that has only just been created", async () => {
    const team = await newTeam("record");
    const runId = await createRun(team.key, { prompt: "Just one thing" });
    const res = await call("GET", `${RUNS}/${runId}/conversation`, { key: team.key });
    expect(res.json.steps).toHaveLength(1);
    expect(res.json.steps[0].messages).toEqual([
      {
        role: "user",
        timestamp: expect.any(String),
        content: [{ type: "text", text: "Just one thing" }],
      },
    ]);
  });
});

describe("GET /agent/runs/{id}/timeline", () => {
  it("lists the lifecycle milestones of every execution with the time since the previous one", async () => {
    const { team, runId, events } = await recordedRun();
    const res = await call("GET", `${RUNS}/${runId}/timeline`, { key: team.key });
    expect(res.status, res.text).toBe(200);
    const timeline: Json[] = res.json.events;
    expect(timeline.map((e) => [e.event_type, e.execution_id])).toEqual([
      ["oz_run_created", 1],
      ["oz_run_claimed", 1],
      ["worker_container_ready", 1],
      ["agent_started", 1],
      ["oz_run_done", 1],
      ["oz_run_reopened", 1],
      ["oz_run_claimed", 2],
      ["agent_started", 2],
      ["oz_run_done", 2],
    ]);
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    let previous: number | null = null;
    for (const t of timeline) {
      const e = bySeq.get(t.payload.seq)!;
      expect(t).toMatchObject({
        event_uuid: `${runId}:${e.seq}`,
        run_id: runId,
        occurred_at: e.at,
      });
      const now = Date.parse(e.at);
      expect(t.payload.since_previous_ms, t.event_type).toBe(
        previous === null ? 0 : now - previous,
      );
      previous = now;
    }
    // the pause before the agent started shows
    expect(
      timeline.find((t) => t.event_type === "agent_started")!.payload.since_previous_ms,
    ).toBeGreaterThanOrEqual(20);
    expect(new Set(timeline.map((t) => t.event_uuid)).size).toBe(timeline.length);
  });

  it("names blocked, failed, errored and cancelled runs", async () => {
    const team = await newTeam("record");
    const outcomes: [string[], string][] = [
      [["dispatch", "claim", "start", "fail"], "oz_run_failed"],
      [["dispatch", "error"], "oz_run_errored"],
      [["cancel"], "oz_run_cancelled"],
    ];
    for (const [commands, last] of outcomes) {
      const runId = await createRun(team.key);
      await advance({ runId, teamId: team.teamId }, ...(commands as never[]));
      const types = (
        await call("GET", `${RUNS}/${runId}/timeline`, { key: team.key })
      ).json.events.map((e: Json) => e.event_type);
      expect(types.at(-1), last).toBe(last);
    }
    const blocked = await createRun(team.key);
    await advance({ runId: blocked, teamId: team.teamId }, "dispatch", "claim", "start", "block");
    const types = (
      await call("GET", `${RUNS}/${blocked}/timeline`, { key: team.key })
    ).json.events.map((e: Json) => e.event_type);
    expect(types).toEqual(["oz_run_created", "oz_run_claimed", "agent_started", "oz_run_blocked"]);
  });
});

describe("GET /agent/runs/{id}/transcript", () => {
  const parse = (text: string) =>
    text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));

  it("is the whole event log as NDJSON while the run is live", async () => {
    const team = await newTeam("record");
    const runId = await createRun(team.key);
    const ref = { runId, teamId: team.teamId };
    await advance(ref, "dispatch", "claim", "start");
    await hostAppend(ref, [
      { host_seq: 1, type: "agent.message", payload: { text: 'line\nbreaks "and" quotes' } },
    ]);
    const res = await call("GET", `${RUNS}/${runId}/transcript`, { key: team.key });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(res.text.endsWith("\n")).toBe(true);
    expect(parse(res.text)).toEqual(await eventsOf(ref));
    expect(await env.ARTIFACTS.get(`runs/${runId}/transcript.ndjson`)).toBeNull();
  });

  it("is archived to R2 when the run ends, re-archived when a later execution ends, and served from there", async () => {
    const { team, runId, ref, events } = await recordedRun();
    const key = `runs/${runId}/transcript.ndjson`;
    const archived = await env.ARTIFACTS.get(key);
    expect(archived).not.toBeNull();
    expect(archived!.httpMetadata?.contentType).toBe("application/x-ndjson");
    const text = await archived!.text();
    expect(parse(text)).toEqual(events);
    expect((await runRow(runId))?.state).toBe("SUCCEEDED");

    const viewer = await memberKey(team.key, "viewer");
    const res = await call("GET", `${RUNS}/${runId}/transcript`, { key: viewer.key });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toBe(text);
    expect(archived!.customMetadata).toEqual({ last_seq: String(events.length) });
    // an ended run's transcript comes from the archive, not the Durable Object...
    const summarySeq = (await runRow(runId))!.summary_seq;
    expect(summarySeq).toBe(events.length);
    const marker = `${JSON.stringify({ seq: 1, marker: "from R2" })}\n`;
    await env.ARTIFACTS.put(key, marker, { customMetadata: { last_seq: String(summarySeq) } });
    expect((await call("GET", `${RUNS}/${runId}/transcript`, { key: team.key })).text).toBe(marker);
    // ...unless the archive is behind the run (an earlier execution's): then the live log
    await env.ARTIFACTS.put(key, marker, { customMetadata: { last_seq: String(summarySeq - 1) } });
    expect((await call("GET", `${RUNS}/${runId}/transcript`, { key: team.key })).text).toBe(text);
    await env.ARTIFACTS.put(key, marker);
    expect((await call("GET", `${RUNS}/${runId}/transcript`, { key: team.key })).text).toBe(text);

    // a follow-up reopens it (live again); its end archives the whole, longer log
    expect(
      (
        await call("POST", `${RUNS}/${runId}/followups`, {
          key: team.key,
          body: { message: "one more" },
        })
      ).status,
    ).toBe(200);
    expect(
      parse((await call("GET", `${RUNS}/${runId}/transcript`, { key: team.key })).text),
    ).toEqual(await eventsOf(ref));
    await advance(ref, "cancel");
    const all = (await eventsOf(ref))!;
    expect(all.length).toBe(events.length + 3);
    expect(parse(await (await env.ARTIFACTS.get(key))!.text())).toEqual(all);
  });
});

describe("views of the record: access", () => {
  it("answer 404 for another team's run, someone else's personal run and an unknown id", async () => {
    const team = await newTeam("record");
    const other = await newTeam("record");
    const member = await memberKey(team.key, "member");
    const runId = await createRun(team.key);
    const personal = await createRun(member.key, { prompt: "mine", team: false });
    const unknown = "00000000-0000-7000-8000-000000000000";
    const paths = (id: string) => [
      `${RUNS}/${id}/conversation`,
      `/api/v1/agent/conversations/${id}`,
      `${RUNS}/${id}/timeline`,
      `${RUNS}/${id}/transcript`,
    ];
    for (const [id, key] of [
      [runId, other.key],
      [personal, team.key],
      [unknown, team.key],
    ]) {
      for (const path of paths(id))
        expectProblem(await call("GET", path, { key }), 404, "resource_not_found");
    }
    for (const path of paths(personal))
      expect((await call("GET", path, { key: member.key })).status, path).toBe(200);
    for (const path of paths(runId))
      expectProblem(await call("GET", path), 401, "authentication_required");
  });
});
