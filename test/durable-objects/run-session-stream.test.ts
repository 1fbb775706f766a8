import { MAX_EVENT_TEXT, TRUNCATION_MARKER } from "@ambit/protocol";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunSession } from "../../durable-objects/run-session/run-session.ts";
import { uuidv7 } from "../../src/lib/ids.ts";
import { type Json, memberKey, newTeam } from "../helpers/api.ts";
import {
  advance,
  createRun,
  eventsOf,
  HOST_ACTOR,
  hostAppend,
  messages,
  runRow,
  sessionOf,
} from "../helpers/runs.ts";
import { attach, attachRequest, type TestSocket, tokenFor } from "../helpers/sockets.ts";

async function newRun() {
  const team = await newTeam("stream");
  const runId = await createRun(team.key, { prompt: "Stream me" });
  return { team, runId, ref: { runId, teamId: team.teamId } };
}

/** A run a host is working on (seq 4 is its start), ready for host events. */
async function runningRun() {
  const run = await newRun();
  await advance(run.ref, "dispatch", "claim", "start");
  return run;
}

/** A presence frame's entries in a stable order (the session lists them in socket order). */
type Entry = { principal: { id: string; type?: string }; access: string; connections?: number };
const sorted = <T extends Entry>(entries: T[]) =>
  [...entries].sort((x, y) =>
    `${x.principal.id}:${x.access}`.localeCompare(`${y.principal.id}:${y.access}`),
  );
const attachedOf = (frame: Json) => sorted(frame.attached as Entry[]);
/**
 * Waits until the latest presence frame a socket got lists `expected`. Presence is coalesced (at
 * most one frame per interval: a burst of joins and leaves is told once), so tests wait for what
 * it says, not for its n-th frame.
 */
const untilPresence = (s: TestSocket, expected: (Entry & Json)[]) =>
  s.until(`presence ${JSON.stringify(expected)}`, () => {
    const last = s.ofType("presence").at(-1);
    // names are presence's too (test/integration/run-presence-names.test.ts); here: who and how
    const unnamed = (entries: Entry[]) =>
      JSON.stringify(entries, (k, v: unknown) => (k === "name" ? undefined : v));
    return last && unnamed(attachedOf(last)) === unnamed(sorted(expected)) && last;
  });

const seqsOf = (s: TestSocket) => s.events().map((e) => e.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The session's own SQLite view: seqs in the log and the sockets it holds. */
async function inside(runId: string) {
  return runInDurableObject(sessionOf(runId), (_: RunSession, state) => ({
    seqs: state.storage.sql
      .exec<{ seq: number }>("SELECT seq FROM events ORDER BY seq")
      .toArray()
      .map((r) => r.seq),
    sockets: state.getWebSockets().length,
  }));
}

describe("RunSession websocket: replay, then live", () => {
  it("sends ready, then every event after `after`, then live events, in order, with no gap or duplicate", async () => {
    const { team, runId, ref } = await runningRun();
    expect(await hostAppend(ref, messages(1, 3))).toEqual({
      ok: true,
      seqs: [5, 6, 7],
      refused: [],
    });

    const s = await attach(runId, { key: team.key, after: 2 });
    expect(s.frames[0]).toEqual({
      type: "ready",
      run_id: runId,
      state: "INPROGRESS",
      last_seq: 7,
      access: "EDITOR",
      execution_id: 1,
    });
    await s.untilSeq(7);
    await s.nth("presence", 1);
    // replay first (one page: one frame), then presence: nothing live was interleaved into the replay
    expect(s.frames.map((f) => f.type)).toEqual(["ready", "events", "presence"]);
    expect(s.events()).toEqual(await eventsOf(ref, 2));

    // live: several producers at once; the socket sees each event once, in seq order
    const results = await Promise.all([
      hostAppend(ref, messages(4, 5)),
      sessionOf(runId).followup(ref, { type: "user", id: team.userId }, { message: "also this" }),
    ]);
    expect(results.every((r) => r.ok)).toBe(true);
    await s.untilSeq(13);
    expect(seqsOf(s)).toEqual(range(3, 13));
    expect(s.events()).toEqual(await eventsOf(ref, 2));
    const lastSeen = seqsOf(s).at(-1)!;
    s.close();

    // missed while away, then reconnect with after=<last seen>: exactly the rest, then live again
    await hostAppend(ref, messages(9, 4));
    const again = await attach(runId, { key: team.key, after: lastSeen });
    expect(again.frames[0]).toMatchObject({ type: "ready", last_seq: 17 });
    await again.untilSeq(17);
    expect(again.events()).toEqual(await eventsOf(ref, lastSeen));
    expect(seqsOf(again)).toEqual(range(14, 17));
    await hostAppend(ref, messages(13, 1));
    await again.untilSeq(18);
    expect(seqsOf(again)).toEqual(range(14, 18));
    again.close();
  });

  it("loses nothing and repeats nothing when events are appended while a client attaches", async () => {
    const { team, runId, ref } = await runningRun();
    const appends = Array.from({ length: 10 }, (_, i) => hostAppend(ref, messages(i * 3 + 1, 3)));
    const [s] = await Promise.all([attach(runId, { key: team.key, after: 3 }), ...appends]);
    await s.untilSeq(34);
    expect(seqsOf(s)).toEqual(range(4, 34));
    expect(s.events()).toEqual(await eventsOf(ref, 3));
    s.close();
  });

  it("replays a log longer than one replay page in order", async () => {
    const { team, runId, ref } = await runningRun();
    for (let i = 0; i < 3; i++) await hostAppend(ref, messages(i * 400 + 1, 400));
    const s = await attach(runId, { key: team.key });
    await s.untilSeq(1_204);
    expect(seqsOf(s)).toEqual(range(1, 1_204));
    s.close();
  });

  it("answers ping with pong, echoing the ref", async () => {
    const { team, runId } = await newRun();
    const s = await attach(runId, { key: team.key });
    s.send({ type: "ping", ref: "p1" });
    expect(await s.nth("pong", 1)).toEqual({ type: "pong", ref: "p1" });
    s.close();
  });
});

describe("RunSession websocket: fan-out and presence", () => {
  it("broadcasts to every attached socket and announces who is attached, with what access, on join and leave", async () => {
    const { team, runId, ref } = await runningRun();
    const viewer = await memberKey(team.key, "viewer");
    const owner = { type: "user", id: team.userId };
    const a = await attach(runId, { key: team.key });
    await untilPresence(a, [{ principal: owner, access: "EDITOR", connections: 1 }]);

    const b = await attach(runId, { key: viewer.key });
    expect(b.frames[0]).toMatchObject({ type: "ready", access: "VIEWER" });
    const both = [
      { principal: owner, access: "EDITOR", connections: 1 },
      { principal: { type: "user", id: viewer.userId }, access: "VIEWER", connections: 1 },
    ];
    await untilPresence(a, both);
    await untilPresence(b, both);

    // a second connection of the same principal counts, not repeats
    const a2 = await attach(runId, { key: team.key });
    await untilPresence(b, [{ ...both[0], connections: 2 }, both[1]]);

    await hostAppend(ref, messages(1, 2));
    for (const s of [a, b, a2]) {
      await s.untilSeq(6);
      expect(
        s
          .events()
          .filter((e) => e.seq > 4)
          .map((e) => e.payload.text),
      ).toEqual(["step 1", "step 2"]);
    }

    b.close();
    await untilPresence(a, [{ ...both[0], connections: 2 }]);
    a2.close();
    await untilPresence(a, [{ ...both[0], connections: 1 }]);
    // the session holds only the socket still attached
    expect((await inside(runId)).sockets).toBe(1);
    await hostAppend(ref, messages(3, 1));
    await a.untilSeq(7);
    a.close();
  });
});

describe("RunSession websocket: hibernation", () => {
  it("keeps sockets working across eviction, with exact replay afterwards", async () => {
    const { team, runId, ref } = await runningRun();
    const viewer = await memberKey(team.key, "viewer");
    const a = await attach(runId, { key: team.key });
    const b = await attach(runId, { key: viewer.key });
    await untilPresence(a, [
      { principal: { type: "user", id: team.userId }, access: "EDITOR", connections: 1 },
      { principal: { type: "user", id: viewer.userId }, access: "VIEWER", connections: 1 },
    ]);
    await hostAppend(ref, messages(1, 2));
    await b.untilSeq(6);

    // a marker in memory shows the instance really is replaced
    await runInDurableObject(
      sessionOf(runId),
      (instance: RunSession) => void Object.assign(instance, { marker: 1 }),
    );
    await evictDurableObject(sessionOf(runId));
    const fresh = await runInDurableObject(sessionOf(runId), (instance: RunSession, state) => ({
      marker: Reflect.get(instance, "marker"),
      sockets: state.getWebSockets().length,
    }));
    expect(fresh).toEqual({ marker: undefined, sockets: 2 });
    expect(a.closed).toBeNull();
    expect(b.closed).toBeNull();

    // live events still reach both, in order, without a gap
    await hostAppend(ref, messages(3, 3));
    for (const s of [a, b]) {
      await s.untilSeq(9);
      expect(seqsOf(s)).toEqual(range(1, 9));
    }
    // per-socket state survived: access is still enforced and presence still names everyone
    b.send({ type: "cancel", ref: "c1" });
    expect(await b.nth("error", 1)).toMatchObject({ ref: "c1", code: "not_authorized" });
    a.send({ type: "ping", ref: "p" });
    await a.nth("pong", 1);
    await evictDurableObject(sessionOf(runId));
    b.close();
    await untilPresence(a, [
      { principal: { type: "user", id: team.userId }, access: "EDITOR", connections: 1 },
    ]);

    // a client that reconnects after the eviction gets exactly the log
    const c = await attach(runId, { key: team.key, after: 4 });
    await c.untilSeq(9);
    expect(c.events()).toEqual(await eventsOf(ref, 4));
    expect(c.events()).toEqual(a.events().filter((e) => e.seq > 4));
    a.close();
    c.close();
  });
});

describe("RunSession websocket: inbound frames", () => {
  it.each([
    ["not JSON", "{nope"],
    ["an unknown type", JSON.stringify({ type: "shout", message: "hi" })],
    ["a followup without a message", JSON.stringify({ type: "followup" })],
    ["an empty followup", JSON.stringify({ type: "followup", message: "   " })],
    ["JSON that is not an object", "42"],
  ])("closes the socket with 1008 on %s, appending nothing", async (_, frame) => {
    const { team, runId } = await runningRun();
    const s = await attach(runId, { key: team.key });
    const other = await attach(runId, { key: team.key });
    await untilPresence(s, [
      { principal: { type: "user", id: team.userId }, access: "EDITOR", connections: 2 },
    ]);
    s.send(frame);
    expect(await s.untilClosed()).toMatchObject({ code: 1008 });
    expect((await inside(runId)).seqs).toEqual([1, 2, 3, 4]);
    expect((await runRow(runId))?.state).toBe("INPROGRESS");
    // the other socket is unaffected and sees the bad one leave
    await untilPresence(other, [
      { principal: { type: "user", id: team.userId }, access: "EDITOR", connections: 1 },
    ]);
    other.close();
  });

  it("refuses steering from a VIEWER socket with an error frame, changing nothing", async () => {
    const { team, runId, ref } = await runningRun();
    await advance(ref, "block");
    const viewer = await memberKey(team.key, "viewer");
    const s = await attach(runId, { key: viewer.key });
    expect(s.frames[0]).toMatchObject({ access: "VIEWER" });
    const before = await runRow(runId);
    s.send({ type: "followup", ref: "f1", message: "go on" });
    s.send({ type: "cancel", ref: "c1" });
    s.send({ type: "append", ref: "a1", events: messages(1, 1) });
    const errors = await s.until(
      "three errors",
      () => s.ofType("error").length === 3 && s.ofType("error"),
    );
    expect(errors).toEqual([
      {
        type: "error",
        ref: "f1",
        code: "not_authorized",
        message: expect.stringContaining("EDITOR"),
      },
      {
        type: "error",
        ref: "c1",
        code: "not_authorized",
        message: expect.stringContaining("EDITOR"),
      },
      {
        type: "error",
        ref: "a1",
        code: "not_authorized",
        message: expect.stringContaining("host"),
      },
    ]);
    expect(s.closed).toBeNull();
    expect((await inside(runId)).seqs).toEqual([1, 2, 3, 4, 5]);
    expect(await runRow(runId)).toEqual(before);
    s.close();
  });

  it("lets an EDITOR socket send a follow-up and cancel, but not append", async () => {
    const { team, runId, ref } = await newRun();
    const member = await memberKey(team.key, "member");
    const s = await attach(runId, { key: member.key });
    expect(s.frames[0]).toMatchObject({ access: "EDITOR" });
    const author = { type: "user", id: member.userId };

    s.send({ type: "append", ref: "a1", events: messages(1, 1) });
    expect(await s.nth("error", 1)).toMatchObject({ ref: "a1", code: "not_authorized" });

    s.send({ type: "followup", ref: "f1", message: "use the fast path" });
    expect(await s.nth("ack", 1)).toEqual({ type: "ack", ref: "f1", seqs: [2] });
    s.send({ type: "cancel", ref: "c1" });
    expect(await s.nth("ack", 2)).toEqual({ type: "ack", ref: "c1", seqs: [3] });
    await s.untilSeq(3);
    expect(s.events().slice(1)).toEqual([
      expect.objectContaining({
        seq: 2,
        type: "followup.received",
        actor: author,
        payload: { message: "use the fast path", execution_id: 1 },
      }),
      expect.objectContaining({
        seq: 3,
        type: "run.state_changed",
        actor: author,
        payload: expect.objectContaining({ from: "QUEUED", to: "CANCELLED" }),
      }),
    ]);
    expect(await runRow(runId)).toMatchObject({ state: "CANCELLED", summary_seq: 3 });
    // a refusal from the session comes back as an error frame, not a closed socket
    s.send({ type: "cancel", ref: "c2" });
    expect(await s.nth("error", 2)).toMatchObject({
      ref: "c2",
      code: "invalid_request",
      message: expect.stringContaining("already ended"),
    });
    expect(s.closed).toBeNull();
    expect((await eventsOf(ref))!.length).toBe(3);
    s.close();
  });
});

describe("RunSession websocket: the run's host", () => {
  it("appends host events, refusing duplicate or stale host_seq, platform-only types and bad payloads as values", async () => {
    const { team, runId, ref } = await runningRun();
    const viewer = await memberKey(team.key, "viewer");
    const watcher = await attach(runId, { key: viewer.key });
    const host = await attach(runId, { token: await tokenFor(ref, "HOST"), after: 4 });
    expect(host.frames[0]).toMatchObject({ type: "ready", access: "HOST", state: "INPROGRESS" });

    host.send({
      type: "append",
      ref: "h1",
      events: [
        ...messages(1, 2),
        { host_seq: 3, type: "command.output", payload: { stream: "stdout", chunk: "ok\n" } },
      ],
    });
    expect(await host.nth("ack", 1)).toEqual({
      type: "ack",
      ref: "h1",
      seqs: [5, 6, 7],
      refused: [],
    });

    host.send({
      type: "append",
      ref: "h2",
      events: [
        { host_seq: 3, type: "agent.message", payload: { text: "resent" } }, // duplicate
        { host_seq: 2, type: "agent.message", payload: { text: "stale" } }, // stale
        {
          host_seq: 4,
          type: "run.state_changed",
          payload: { from: "INPROGRESS", to: "SUCCEEDED", command: "succeed" },
        }, // lifecycle
        {
          host_seq: 5,
          type: "followup.received",
          payload: { message: "self-steer", execution_id: 1 },
        }, // lifecycle
        { host_seq: 6, type: "agent.message", payload: { nope: 1 } }, // bad payload
        { host_seq: 7, type: "no.such.type", payload: {} }, // unknown type
        { host_seq: 8, type: "agent.message", payload: { text: "accepted" } },
        { host_seq: 8, type: "agent.message", payload: { text: "same seq in one batch" } },
      ],
    });
    const ack = await host.nth("ack", 2);
    expect(ack.seqs).toEqual([8]);
    expect(ack.refused.map((r: { host_seq: number }) => r.host_seq)).toEqual([3, 2, 4, 5, 6, 7, 8]);
    expect(ack.refused[0].reason).toMatch(/duplicate or stale host_seq 3/);
    expect(ack.refused[1].reason).toMatch(/duplicate or stale host_seq 2/);
    expect(ack.refused[2].reason).toMatch(/written by the platform/);
    expect(ack.refused[3].reason).toMatch(/written by the platform/);
    expect(ack.refused[4].reason).toMatch(/invalid event.*text/);
    expect(ack.refused[5].reason).toMatch(/invalid event/);
    expect(ack.refused[6].reason).toMatch(/duplicate or stale host_seq 8/);

    const log = (await eventsOf(ref, 4))!;
    expect(log.map((e) => [e.seq, e.type, e.payload.text ?? e.payload.chunk])).toEqual([
      [5, "agent.message", "step 1"],
      [6, "agent.message", "step 2"],
      [7, "command.output", "ok\n"],
      [8, "agent.message", "accepted"],
    ]);
    expect(
      log.every(
        (e) => e.actor.type === "host" && e.actor.id === HOST_ACTOR.id && e.execution_id === 1,
      ),
    ).toBe(true);
    // role defaults are filled in by the event schema
    expect(log[0].payload).toEqual({ text: "step 1", role: "assistant" });
    await watcher.untilSeq(8);
    expect(watcher.events().filter((e) => e.seq > 4)).toEqual(log);
    expect((await runRow(runId))?.state).toBe("INPROGRESS");
    host.close();
    watcher.close();
  });

  it("cuts a payload string longer than MAX_EVENT_TEXT with the truncation marker", async () => {
    const { runId, ref } = await runningRun();
    const host = await attach(runId, { token: await tokenFor(ref, "HOST"), after: 4 });
    const long = "x".repeat(MAX_EVENT_TEXT + 1_234);
    const exact = "y".repeat(MAX_EVENT_TEXT);
    host.send({
      type: "append",
      events: [
        { host_seq: 1, type: "command.output", payload: { stream: "stdout", chunk: long } },
        {
          host_seq: 2,
          type: "agent.tool_call",
          payload: {
            call_id: "c1",
            name: "write",
            input: { files: [{ body: long }], small: "kept" },
          },
        },
        { host_seq: 3, type: "agent.message", payload: { text: exact } },
      ],
    });
    expect(await host.nth("ack", 1)).toMatchObject({ seqs: [5, 6, 7], refused: [] });
    const cut = `${"x".repeat(MAX_EVENT_TEXT)}${TRUNCATION_MARKER}1234 more characters]`;
    const [output, call, message] = (await eventsOf(ref, 4))!;
    expect(output.payload.chunk).toBe(cut);
    expect(call.payload.input).toEqual({ files: [{ body: cut }], small: "kept" });
    expect(message.payload.text).toBe(exact); // exactly at the limit: untouched
    await host.untilSeq(7);
    expect(host.events()[0].payload.chunk).toBe(cut);
    host.close();
  });

  it("refuses every event once the run has ended: the host's socket gets the end, then closes", async () => {
    const { runId, ref } = await runningRun();
    const token = await tokenFor(ref, "HOST");
    const host = await attach(runId, { token, after: 4 });
    await advance(ref, "succeed");
    await host.untilSeq(5);
    expect((await host.untilClosed()).code).toBe(4001);
    expect((await attachRequest(runId, { token })).status).toBe(401);
    expect((await inside(runId)).seqs).toEqual([1, 2, 3, 4, 5]);
    // the RPC answers as a value
    expect(await hostAppend(ref, messages(1, 2))).toMatchObject({
      ok: true,
      seqs: [],
      refused: [
        { host_seq: 1, reason: expect.stringContaining("already ended (SUCCEEDED)") },
        { host_seq: 2, reason: expect.stringContaining("already ended (SUCCEEDED)") },
      ],
    });
  });

  it("answers the append RPC for an unknown run or another team with resource_not_found, as a value", async () => {
    const { ref } = await runningRun();
    const other = await newTeam("stream");
    expect(await hostAppend({ ...ref, teamId: other.teamId }, messages(1, 1))).toMatchObject({
      ok: false,
      code: "resource_not_found",
    });
    const ghost = uuidv7();
    expect(await hostAppend({ runId: ghost, teamId: ref.teamId }, messages(1, 1))).toMatchObject({
      ok: false,
      code: "resource_not_found",
    });
    expect((await eventsOf(ref))!.length).toBe(4);
  });
});

/** The session's schema version: its table's row, and the KV key that held it up to version 8. */
const versionOf = (storage: DurableObjectStorage) => ({
  table: storage.sql.exec<{ version: number }>("SELECT version FROM schema_version").one().version,
  kv: storage.kv.get("schema_version"),
});

describe("RunSession schema", () => {
  it("is at schema version 9 with the execution, host_seq, archive, pool, timer, lease, started_by, stop_status and platform_seq columns, its version in a table", async () => {
    const { runId } = await newRun();
    const schema = await runInDurableObject(sessionOf(runId), (_: RunSession, state) => ({
      version: versionOf(state.storage),
      run: state.storage.sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('run')")
        .toArray()
        .map((c) => c.name),
      events: state.storage.sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('events')")
        .toArray()
        .map((c) => c.name),
    }));
    expect(schema.version).toEqual({ table: 9, kv: undefined });
    expect(schema.run).toEqual(
      expect.arrayContaining([
        "execution_id",
        "host_seq",
        "archived_seq",
        "pool",
        "max_run_ms",
        "deadline_at",
        "timed_out_at",
        "lease_until",
        "started_by",
        "stop_status",
      ]),
    );
    expect(schema.events).toEqual(expect.arrayContaining(["execution_id"]));
  });

  it("upgrades a session stored at version 1, keeping its run and log; started_by is the last reopener", async () => {
    const team = await newTeam("schema");
    const runId = uuidv7();
    const ref = { runId, teamId: team.teamId };
    const stub = sessionOf(runId);
    const createdAt = Date.now() - 60_000;
    // rewrite this object's storage as a version-1 session would have left it
    await runInDurableObject(stub, (_: RunSession, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE IF EXISTS run");
      sql.exec("DROP TABLE IF EXISTS events");
      sql.exec("DROP TABLE IF EXISTS schema_version");
      sql.exec(`CREATE TABLE run (
        id TEXT PRIMARY KEY, team_id TEXT NOT NULL, state TEXT NOT NULL, status_message TEXT,
        cancel_requested_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        started_at INTEGER, ended_at INTEGER, summary_seq INTEGER NOT NULL DEFAULT 0, synced_seq INTEGER NOT NULL DEFAULT 0)`);
      sql.exec(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, at INTEGER NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL)",
      );
      sql.exec(
        "INSERT INTO run (id, team_id, state, status_message, created_at, updated_at, started_at, summary_seq, synced_seq) VALUES (?, ?, 'INPROGRESS', NULL, ?, ?, ?, 2, 2)",
        runId,
        team.teamId,
        createdAt,
        createdAt + 1_000,
        createdAt + 1_000,
      );
      sql.exec(
        "INSERT INTO events VALUES (1, 'run.created', ?, ?, ?)",
        createdAt,
        JSON.stringify({ type: "system", id: "system" }),
        JSON.stringify({ state: "QUEUED" }),
      );
      sql.exec(
        "INSERT INTO events VALUES (2, 'run.state_changed', ?, ?, ?)",
        createdAt + 1_000,
        JSON.stringify(HOST_ACTOR),
        JSON.stringify({ from: "QUEUED", to: "INPROGRESS", command: "start" }),
      );
      // a follow-up by a teammate reopened it once (the store does not yet know who started the execution)
      sql.exec(
        "INSERT INTO events VALUES (3, 'run.state_changed', ?, ?, ?)",
        createdAt + 2_000,
        JSON.stringify({ type: "user", id: "teammate" }),
        JSON.stringify({ from: "SUCCEEDED", to: "QUEUED", command: "reopen" }),
      );
      sql.exec(
        "INSERT INTO events VALUES (4, 'run.state_changed', ?, ?, ?)",
        createdAt + 3_000,
        JSON.stringify(HOST_ACTOR),
        JSON.stringify({ from: "QUEUED", to: "INPROGRESS", command: "start" }),
      );
      state.storage.kv.put("schema_version", 1);
    });
    await evictDurableObject(stub);

    // the next instance migrates in its constructor; the old log reads as execution 1
    const log = (await eventsOf(ref))!;
    expect(log.map((e) => [e.seq, e.type, e.execution_id])).toEqual([
      [1, "run.created", 1],
      [2, "run.state_changed", 1],
      [3, "run.state_changed", 1],
      [4, "run.state_changed", 1],
    ]);
    const after = await runInDurableObject(stub, (_: RunSession, state) => ({
      version: versionOf(state.storage),
      run: state.storage.sql
        .exec(
          "SELECT state, execution_id, host_seq, archived_seq, pool, max_run_ms, deadline_at, lease_until, started_by FROM run",
        )
        .toArray(),
    }));
    expect(after).toEqual({
      // moved from the KV store to its table, the key deleted
      version: { table: 9, kv: undefined },
      run: [
        {
          state: "INPROGRESS",
          execution_id: 1,
          host_seq: 0,
          archived_seq: 0,
          pool: "warp",
          max_run_ms: null,
          deadline_at: null,
          lease_until: null,
          started_by: JSON.stringify({ type: "user", id: "teammate" }),
        },
      ],
    });
    // and it works as a current session
    expect(await hostAppend(ref, messages(1, 1))).toEqual({ ok: true, seqs: [5], refused: [] });
    expect((await eventsOf(ref, 4))![0]).toMatchObject({
      seq: 5,
      execution_id: 1,
      payload: { text: "step 1" },
    });
    // a new session creates the current schema in one step: exactly the tables the upgrade led to
    const columns = (s: typeof stub) =>
      runInDurableObject(s, (_: RunSession, state) =>
        ["run", "events", "schema_version"].map((t) =>
          state.storage.sql
            .exec(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('${t}')`)
            .toArray(),
        ),
      );
    const fresh = await newRun();
    expect(await columns(sessionOf(fresh.runId))).toEqual(await columns(stub));
  });
});
