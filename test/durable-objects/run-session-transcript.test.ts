// The archived transcript is built from the log's stored JSON rather than parsed and written again
// (storage.ts `logAsNdjson`): it must be, byte for byte, what JSON.stringify makes of each event
// as the API gives it (`listEvents`), whatever its payload holds.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RunSession } from "../../durable-objects/run-session/run-session.ts";
import type { Session } from "../../durable-objects/run-session/session.ts";
import { appendEvent, listEvents, logAsNdjson } from "../../durable-objects/run-session/storage.ts";
import { newTeam } from "../helpers/api.ts";
import { advance, createRun, eventsOf, hostAppend, messages, sessionOf } from "../helpers/runs.ts";

describe("the archived transcript", () => {
  it("is JSON.stringify of each event, in seq order, for payloads of every kind", async () => {
    const payloads: object[] = [
      { text: "plain" },
      { text: 'quotes " and \\ backslashes, tabs\t and newlines\n' },
      { text: "unicode: é, 日本, emoji 🚀, U+2028 \u2028 and a lone surrogate \ud800" },
      { n: 1e21, small: 1e-7, neg: -0, big: 2 ** 53, f: 0.1 + 0.2, t: true, none: null },
      { nested: { deep: [1, { x: [] }, "s"], empty: {} }, list: [] },
      {},
    ];
    const out = await runInDurableObject(sessionOf(crypto.randomUUID()), (_: RunSession, state) => {
      const sql = state.storage.sql;
      payloads.forEach((payload, i) => {
        appendEvent(sql, {
          type: i % 2 ? "agent.message" : "run.state_changed",
          at: Date.UTC(2026, 11, 7, 12, 0, 0, i * 7),
          actor: { type: "host", id: `h-${i} "quoted"` },
          payload,
          execution_id: 1 + (i % 2),
        });
      });
      return { log: logAsNdjson(sql), events: listEvents(sql, 0, 100) };
    });
    expect(out.events).toHaveLength(payloads.length);
    expect(out.log).toEqual({
      ndjson: out.events.map((e) => `${JSON.stringify(e)}\n`).join(""),
      last: out.events.at(-1)!.seq,
    });
  });

  it("is empty for an empty log", async () => {
    const log = await runInDurableObject(sessionOf(crypto.randomUUID()), (_: RunSession, state) =>
      logAsNdjson(state.storage.sql),
    );
    expect(log).toEqual({ ndjson: "", last: 0 });
  });

  it("keeps its seqs without a gap when a change is rolled back: the session reads the log's last again", async () => {
    const team = await newTeam("seq");
    const runId = await createRun(team.key, { prompt: "seq" });
    const ref = { runId, teamId: team.teamId };
    await advance(ref, "dispatch", "claim", "start");
    await runInDurableObject(sessionOf(runId), (instance: RunSession) => {
      const { session } = instance as unknown as { session: Session };
      const entry = {
        type: "agent.message",
        actor: { type: "host" as const, id: "h" },
        payload: {},
      };
      // two events appended, then the change fails: the transaction rolls both back
      expect(() =>
        session.record(session.run!, [entry, entry], () => {
          throw new Error("a change that fails");
        }),
      ).toThrow("a change that fails");
    });
    expect(await hostAppend(ref, messages(1, 2))).toMatchObject({ ok: true, seqs: [5, 6] });
    expect((await eventsOf(ref))!.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
