import { describe, expect, it } from "vitest";
import type { HostLoad } from "../../durable-objects/host-pool/choose.ts";
import {
  behindMessages,
  EXACT_POSITIONS,
  headMessages,
  type LineReason,
  lineReason,
  type LineSlot,
  waitMessage,
} from "../../durable-objects/host-pool/line-status.ts";

const host = (capacity: number, running: number): HostLoad => ({
  conn: `c${capacity}-${running}`,
  capacity,
  running,
  lastAssignedAt: 0,
});
const load = { maxConcurrentRuns: 2, maxRunTimeSeconds: 60, active: 2 };
const busy: LineReason = { kind: "busy", pool: "gpu", hosts: 3 };

describe("lineReason", () => {
  it("no host connected, whatever the limit", () => {
    expect(lineReason("gpu", [], null)).toEqual({ kind: "no_host", pool: "gpu" });
    expect(lineReason("gpu", [], load)).toEqual({ kind: "no_host", pool: "gpu" });
  });

  it("every host full: busy, counting every host (a host of capacity 0 too), even at the team's limit", () => {
    expect(lineReason("gpu", [host(1, 1), host(2, 2), host(0, 0)], null)).toEqual({
      kind: "busy",
      pool: "gpu",
      hosts: 3,
    });
    expect(lineReason("gpu", [host(1, 1)], load)).toEqual({ kind: "busy", pool: "gpu", hosts: 1 });
  });

  it("a host with room while runs wait: the team's limit, with the load last read", () => {
    expect(lineReason("gpu", [host(1, 1), host(4, 2)], load)).toEqual({
      kind: "limit",
      pool: "gpu",
      active: 2,
      max: 2,
    });
  });
});

describe("waitMessage", () => {
  it("exact positions up to EXACT_POSITIONS, then one message for every run further back", () => {
    expect(waitMessage(busy, 1)).toBe(
      "Waiting: all 3 hosts of worker_host=gpu are busy (position 1 in line)",
    );
    expect(waitMessage(busy, EXACT_POSITIONS)).toBe(
      `Waiting: all 3 hosts of worker_host=gpu are busy (position ${EXACT_POSITIONS} in line)`,
    );
    const far = `Waiting: all 3 hosts of worker_host=gpu are busy (${EXACT_POSITIONS} or more runs ahead of it in line)`;
    expect(waitMessage(busy, EXACT_POSITIONS + 1)).toBe(far);
    expect(waitMessage(busy, 5_000)).toBe(far);
    expect(waitMessage({ kind: "busy", pool: "w", hosts: 1 }, 2)).toBe(
      "Waiting: all 1 host of worker_host=w are busy (position 2 in line)",
    );
  });

  it("no host: the same message at every position", () => {
    const m =
      "Waiting: no host is connected for worker_host=gpu; start one with `ambit host start`";
    expect(
      [1, EXACT_POSITIONS + 1].map((p) => waitMessage({ kind: "no_host", pool: "gpu" }, p)),
    ).toEqual([m, m]);
  });

  it("the team's limit names the limit and the position, and how to raise it", () => {
    const limit: LineReason = { kind: "limit", pool: "gpu", active: 2, max: 2 };
    expect(waitMessage(limit, 3)).toBe(
      "Waiting: the team's concurrency limit is reached (2 of 2 runs active; position 3 in line); runs start as active ones end, or an admin raises limits.max_concurrent_runs with PATCH /api/v1/team",
    );
    expect(waitMessage(limit, EXACT_POSITIONS + 1)).toMatch(
      `(2 of 2 runs active; ${EXACT_POSITIONS} or more runs ahead of it in line)`,
    );
  });

  it("a runner container starting for the run says so, except at the team's limit (no container is started then)", () => {
    expect(waitMessage(busy, 4, true)).toBe("Waiting: a runner container is starting for this run");
    expect(waitMessage({ kind: "no_host", pool: "warp" }, 1, true)).toBe(
      "Waiting: a runner container is starting for this run",
    );
    expect(waitMessage({ kind: "limit", pool: "warp", active: 1, max: 1 }, 1, true)).toMatch(
      /concurrency limit/,
    );
  });
});

describe("headMessages", () => {
  const slot = (run_id: string, told: string | null, container = false): LineSlot => ({
    run_id,
    told,
    container,
  });

  it("answers only the runs whose message changed, with the new one", () => {
    const head = [
      slot("a", waitMessage(busy, 2)),
      slot("b", waitMessage(busy, 2)),
      slot("c", null),
    ];
    expect(headMessages(busy, head)).toEqual([
      { run_id: "a", message: waitMessage(busy, 1) },
      { run_id: "c", message: waitMessage(busy, 3) },
    ]);
    expect(
      headMessages(busy, [slot("a", waitMessage(busy, 1)), slot("b", waitMessage(busy, 2))]),
    ).toEqual([]);
  });

  it(`looks at the first ${EXACT_POSITIONS} runs only; a run moving into the head from further back is told its position`, () => {
    const far = behindMessages(busy).plain;
    const head = Array.from({ length: EXACT_POSITIONS + 3 }, (_, i) =>
      slot(`r${i}`, i < EXACT_POSITIONS - 1 ? waitMessage(busy, i + 1) : far),
    );
    expect(headMessages(busy, head)).toEqual([
      { run_id: `r${EXACT_POSITIONS - 1}`, message: waitMessage(busy, EXACT_POSITIONS) },
    ]);
  });

  it("a new reason re-tells every run of the head whose message it changes (not a run whose container is starting)", () => {
    const head = [slot("a", waitMessage(busy, 1)), slot("b", waitMessage(busy, 2, true), true)];
    expect(headMessages({ kind: "no_host", pool: "gpu" }, head)).toEqual([
      { run_id: "a", message: waitMessage({ kind: "no_host", pool: "gpu" }, 1) },
    ]);
    expect(
      headMessages({ kind: "busy", pool: "gpu", hosts: 2 }, head).map((m) => m.run_id),
    ).toEqual(["a"]);
  });
});

describe("behindMessages", () => {
  it("is what any position past the head is told, with and without a container", () => {
    expect(behindMessages(busy)).toEqual({
      plain: waitMessage(busy, EXACT_POSITIONS + 7),
      container: waitMessage(busy, EXACT_POSITIONS + 7, true),
    });
  });
});
