import { isTerminal, RunState, TERMINAL_STATES } from "@ambit/protocol";
import { describe, expect, it } from "vitest";
import {
  type RunCommand,
  TRANSITIONS,
  transition,
} from "../../durable-objects/run-session/state-machine.ts";

const STATES = RunState.options;
const COMMANDS = Object.keys(TRANSITIONS) as RunCommand[];

/**
 * The run lifecycle written out by hand, state by state (docs/architecture.md): every pair not
 * listed must be refused. Kept independent of `TRANSITIONS` so a wrong edit to the table fails here.
 */
const EXPECTED: Record<RunState, Partial<Record<RunCommand, RunState>>> = {
  QUEUED: { dispatch: "PENDING", error: "ERROR", cancel: "CANCELLED" },
  PENDING: { requeue: "QUEUED", claim: "CLAIMED", error: "ERROR", cancel: "CANCELLED" },
  CLAIMED: {
    requeue: "QUEUED",
    resume: "QUEUED",
    start: "INPROGRESS",
    fail: "FAILED",
    error: "ERROR",
    cancel: "CANCELLED",
  },
  INPROGRESS: {
    resume: "QUEUED",
    block: "BLOCKED",
    succeed: "SUCCEEDED",
    fail: "FAILED",
    error: "ERROR",
    cancel: "CANCELLED",
  },
  BLOCKED: {
    resume: "QUEUED",
    unblock: "INPROGRESS",
    succeed: "SUCCEEDED",
    fail: "FAILED",
    error: "ERROR",
    cancel: "CANCELLED",
  },
  SUCCEEDED: { reopen: "QUEUED" },
  FAILED: { reopen: "QUEUED" },
  ERROR: { reopen: "QUEUED" },
  CANCELLED: { reopen: "QUEUED" },
};

const matrix = STATES.flatMap((state) =>
  COMMANDS.map((command) => ({ state, command, to: EXPECTED[state][command] })),
);

describe("run state machine", () => {
  it("knows every command and every state", () => {
    expect([...COMMANDS].sort()).toEqual([
      "block",
      "cancel",
      "claim",
      "dispatch",
      "error",
      "fail",
      "reopen",
      "requeue",
      "resume",
      "start",
      "succeed",
      "unblock",
    ]);
    expect(STATES).toHaveLength(9);
    expect(matrix).toHaveLength(9 * 12);
  });

  it("table and hand-written expectation agree pair by pair", () => {
    const fromTable = Object.fromEntries(
      STATES.map((s) => [
        s,
        Object.fromEntries(
          COMMANDS.filter((c) => TRANSITIONS[c].from.includes(s)).map((c) => [
            c,
            TRANSITIONS[c].to,
          ]),
        ),
      ]),
    );
    expect(fromTable).toEqual(EXPECTED);
  });

  it.each(matrix.filter((m) => m.to))("$state --$command--> $to", ({ state, command, to }) => {
    expect(transition(state, command)).toEqual({ ok: true, from: state, to });
  });

  it.each(matrix.filter((m) => !m.to))(
    "$state --$command--> refused with a reason",
    ({ state, command }) => {
      const t = transition(state, command);
      expect(t.ok).toBe(false);
      if (t.ok) return;
      expect(t.from).toBe(state);
      expect(t.reason).toContain(state);
      // a non-terminal refusal names the command and where it is allowed from
      if (!isTerminal(state)) {
        expect(t.reason).toContain(command);
        for (const from of TRANSITIONS[command].from) expect(t.reason).toContain(from);
      } else {
        expect(t.reason).toMatch(/already ended/);
      }
    },
  );

  it("ends exactly in the terminal states of the protocol; BLOCKED waits for a follow-up", () => {
    expect(STATES.filter(isTerminal)).toEqual([...TERMINAL_STATES]);
    expect(isTerminal("BLOCKED")).toBe(false);
  });

  it("every active state can be cancelled or errored; no ended state can move except by reopen", () => {
    for (const s of STATES) {
      const moves = COMMANDS.filter((c) => transition(s, c).ok);
      if (isTerminal(s)) expect(moves).toEqual(["reopen"]);
      else expect(moves).toEqual(expect.arrayContaining(["cancel", "error"]));
    }
  });

  it("every state is reachable from QUEUED", () => {
    const seen = new Set<RunState>(["QUEUED"]);
    const queue: RunState[] = ["QUEUED"];
    while (queue.length) {
      const s = queue.shift()!;
      for (const c of COMMANDS) {
        const t = transition(s, c);
        if (t.ok && !seen.has(t.to)) {
          seen.add(t.to);
          queue.push(t.to);
        }
      }
    }
    expect([...seen].sort()).toEqual([...STATES].sort());
  });

  it("is pure: the same input gives the same answer and the table is not changed", () => {
    const before = JSON.stringify(TRANSITIONS);
    expect(transition("QUEUED", "dispatch")).toEqual(transition("QUEUED", "dispatch"));
    expect(transition("SUCCEEDED", "cancel")).toEqual(transition("SUCCEEDED", "cancel"));
    expect(JSON.stringify(TRANSITIONS)).toBe(before);
  });
});
