import type { RunEvent } from "@ambit/protocol";
import { describe, expect, it } from "vitest";
import {
  coalesceWindowMs,
  FANOUT_FRAMES_PER_S,
  MAX_COALESCE_MS,
  Outbox,
} from "../../durable-objects/run-session/fanout.ts";
import { newTeam } from "../helpers/api.ts";
import { advance, createRun, eventsOf, hostAppend, messages } from "../helpers/runs.ts";
import { attach } from "../helpers/sockets.ts";

const event = (seq: number) => ({ seq }) as RunEvent;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Outbox: live events coalesced under load", () => {
  it("sends at once when idle, holds what follows within the window, then sends it together", async () => {
    const sent: number[][] = [];
    const box = new Outbox(
      (events) => sent.push(events.map((e) => e.seq)),
      () => 200,
    );
    expect(coalesceWindowMs(200)).toBe((1000 * 200) / FANOUT_FRAMES_PER_S);
    expect(coalesceWindowMs(200)).toBeGreaterThanOrEqual(10); // long enough for the adds below to fall in it
    expect(coalesceWindowMs(1_000_000)).toBe(MAX_COALESCE_MS);

    box.add([event(1)]);
    expect(sent).toEqual([[1]]);
    box.add([event(2)]);
    box.add([event(3), event(4)]);
    expect(sent).toEqual([[1]]);
    for (let i = 0; i < 50 && sent.length < 2; i++) await sleep(10);
    expect(sent).toEqual([[1], [2, 3, 4]]);

    // flush() sends what is pending at once (before any other frame goes out)
    box.add([event(5)]);
    box.flush();
    expect(sent.at(-1)).toEqual([5]);
    box.flush();
    expect(sent).toHaveLength(3);
  });

  it("with few clients, sends events that come further apart than the window one by one", async () => {
    const sent: number[][] = [];
    const box = new Outbox(
      (events) => sent.push(events.map((e) => e.seq)),
      () => 2,
    );
    for (let seq = 1; seq <= 3; seq++) {
      box.add([event(seq)]);
      await sleep(5);
    }
    expect(sent).toEqual([[1], [2], [3]]);
  });
});

describe("RunSession fan-out to many sockets", () => {
  it("delivers a burst to every socket complete, once and in order, coalescing frames", async () => {
    const team = await newTeam("fanout");
    const runId = await createRun(team.key, { prompt: "Watched by many" });
    const ref = { runId, teamId: team.teamId };
    await advance(ref, "dispatch", "claim", "start");
    const sockets = [];
    for (let i = 0; i < 40; i++) sockets.push(await attach(runId, { key: team.key, after: 4 }));

    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => hostAppend(ref, messages(i + 1, 1))),
    );
    expect(results.map((r) => (r.ok ? r.refused.length : r.message))).toEqual(results.map(() => 0));
    const expected = (await eventsOf(ref, 4))!;
    expect(expected.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 5));
    for (const s of sockets) {
      await s.untilSeq(64);
      expect(s.events()).toEqual(expected);
    }
    // 40 sockets make a 4 ms window: a burst of 60 appends cannot go out as 60 frames each
    const frames = sockets.map(
      (s) => s.frames.filter((f) => f.type === "event" || f.type === "events").length,
    );
    expect(Math.max(...frames)).toBeLessThan(60);
    expect(sockets.some((s) => s.ofType("events").length > 0)).toBe(true);
    for (const s of sockets) s.close();
  });
});
