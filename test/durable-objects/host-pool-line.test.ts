// The waiting runs' status_message as the line moves: every run in line is told again when what
// it was told stopped being true (a run ahead assigned or cancelled, hosts connecting or leaving),
// and only then. Runs are inserted into D1 and offered to the pool directly, as in host-pool.test.ts.
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { HostPool } from "../../durable-objects/host-pool/host-pool.ts";
import { EXACT_POSITIONS } from "../../durable-objects/host-pool/line-status.ts";
import { enqueue } from "../../durable-objects/host-pool/storage.ts";
import { call, type Json, newTeam } from "../helpers/api.ts";
import {
  eventually,
  poolHosts,
  poolState,
  poolStub,
  sleep,
  TestHost,
  untilRun,
} from "../helpers/hosts.ts";
import { eventsOf, insertRunRow, RUNS } from "../helpers/runs.ts";

type Team = Awaited<ReturnType<typeof newTeam>>;

/**
 * A QUEUED run of `pool`, not offered yet. Its session is opened (its log read), so the pool
 * tells it each message and its `run.waiting` events count them; `{ open: false }` leaves it
 * unopened, told on its D1 row alone.
 */
async function queuedRun(team: Team, pool: string, prompt = "Work", { open = true } = {}) {
  const { id } = await insertRunRow(team, {
    prompt,
    title: prompt,
    worker_host: pool === "warp" ? null : pool,
  });
  if (open) await eventsOf({ runId: id, teamId: team.teamId });
  return id;
}
const offer = (team: Team, runId: string, pool: string) =>
  poolStub(team.teamId, pool).offer({ runId, teamId: team.teamId, pool, executionId: 1 });
const messageOf = async (team: Team, runId: string) =>
  ((await call("GET", `${RUNS}/${runId}`, { key: team.key })).json as Json).status_message
    ?.message as string;
/** The messages of a run's `run.waiting` events, in order. */
const waitingEvents = async (team: Team, runId: string) =>
  ((await eventsOf({ runId, teamId: team.teamId })) ?? [])
    .filter((e) => e.type === "run.waiting")
    .map((e) => (e.payload.status_message as { message: string }).message);

const busy = (hosts: number, pool: string, position: number) =>
  `Waiting: all ${hosts} host${hosts === 1 ? "" : "s"} of worker_host=${pool} are busy (position ${position} in line)`;
const busyFar = (hosts: number, pool: string) =>
  `Waiting: all ${hosts} host${hosts === 1 ? "" : "s"} of worker_host=${pool} are busy (${EXACT_POSITIONS} or more runs ahead of it in line)`;
const noHost = (pool: string) =>
  `Waiting: no host is connected for worker_host=${pool}; start one with \`ambit host start\``;

/** Waits until each run's status_message is the one given at its index (as `GET /agent/runs/{id}` shows it). */
async function untilMessages(team: Team, runs: string[], expected: (i: number) => string) {
  await eventually(`messages ${JSON.stringify(runs.map((_, i) => expected(i)))}`, async () => {
    const now = await Promise.all(runs.map((r) => messageOf(team, r)));
    return now.every((m, i) => m === expected(i));
  });
}

/** A host of capacity 1 holding one run of `pool`, and `n` runs waiting behind it (offered in order). */
async function busyLine(team: Team, pool: string, n: number, { open = true } = {}) {
  const host = await TestHost.connect(team.key, pool, { capacity: 1 });
  await eventually("hello", async () => (await poolHosts(team.teamId, pool))[0]?.capacity === 1);
  const held = await queuedRun(team, pool, "held");
  expect(await offer(team, held, pool)).toMatchObject({ status: "assigned" });
  await host.take(team.key, held);
  const waiting: string[] = [];
  for (let i = 0; i < n; i++) {
    waiting.push(await queuedRun(team, pool, `waiting ${i + 1}`, { open }));
    expect(await offer(team, waiting[i], pool)).toMatchObject({ status: "waiting" });
  }
  return { host, held, waiting };
}

/** The host ends the run it holds, and takes (claims and starts) the next one it is given. */
async function finishAndTakeNext(team: Team, host: TestHost, runId: string, next: string) {
  host.complete(runId, { message: "done" });
  await untilRun(team.key, runId, (r) => r.state === "SUCCEEDED");
  await host.take(team.key, next);
}

describe("HostPool: the line's messages stay true", () => {
  it("when the run held ends, the runs still waiting move up: positions 1..4 become 1..3", async () => {
    const t = await newTeam("line");
    const { host, held, waiting } = await busyLine(t, "w-line", 4);
    await untilMessages(t, waiting, (i) => busy(1, "w-line", i + 1));

    await finishAndTakeNext(t, host, held, waiting[0]);
    const rest = waiting.slice(1);
    await untilMessages(t, rest, (i) => busy(1, "w-line", i + 1));
    // each told once per change: the old position, then the new one
    for (const [i, r] of rest.entries())
      expect(await waitingEvents(t, r)).toEqual([
        busy(1, "w-line", i + 2),
        busy(1, "w-line", i + 1),
      ]);
    host.close();
  });

  it("runs whose sessions are not open are told on their D1 rows alone, and move up all the same", async () => {
    const t = await newTeam("line");
    const { host, held, waiting } = await busyLine(t, "w-rows", 4, { open: false });
    await untilMessages(t, waiting, (i) => busy(1, "w-rows", i + 1));
    await finishAndTakeNext(t, host, held, waiting[0]);
    await untilMessages(t, waiting.slice(1), (i) => busy(1, "w-rows", i + 1));
    // not one of the waiting runs got a Durable Object for it (the one taken did: the pool dispatched it)
    const ids = await listDurableObjectIds(env.RUN_SESSION);
    const opened = (runId: string) =>
      ids.some((id) => id.equals(env.RUN_SESSION.idFromName(runId)));
    expect(waiting.map(opened)).toEqual([true, false, false, false]);
    // the row is what a session starts from when someone looks
    expect(await eventsOf({ runId: waiting[3], teamId: t.teamId })).toMatchObject([
      { type: "run.created", payload: { status_message: { message: busy(1, "w-rows", 3) } } },
    ]);
    host.close();
  });

  it("a run cancelled in the middle of the line: the ones behind it move up, the ones ahead are not told anything", async () => {
    const t = await newTeam("line");
    const { host, waiting } = await busyLine(t, "w-line", 5);
    expect((await call("POST", `${RUNS}/${waiting[2]}/cancel`, { key: t.key })).status).toBe(200);
    const left = [waiting[0], waiting[1], waiting[3], waiting[4]];
    await untilMessages(t, left, (i) => busy(1, "w-line", i + 1));
    expect(await waitingEvents(t, waiting[3])).toEqual([
      busy(1, "w-line", 4),
      busy(1, "w-line", 3),
    ]);
    expect(await waitingEvents(t, waiting[4])).toEqual([
      busy(1, "w-line", 5),
      busy(1, "w-line", 4),
    ]);
    await sleep(100);
    expect(await waitingEvents(t, waiting[0])).toEqual([busy(1, "w-line", 1)]);
    expect(await waitingEvents(t, waiting[1])).toEqual([busy(1, "w-line", 2)]);
    expect((await poolState(t.teamId, "w-line")).line.map((e) => e.run_id)).toEqual(left);
    host.close();
  });

  it(`past the first ${EXACT_POSITIONS}, runs are told "${EXACT_POSITIONS} or more ahead", and their exact position once they reach the head`, async () => {
    const t = await newTeam("line");
    const { host, held, waiting } = await busyLine(t, "w-long", 15);
    // the message of the i-th run (0-based) of those still waiting
    const expected = (i: number) =>
      i < EXACT_POSITIONS ? busy(1, "w-long", i + 1) : busyFar(1, "w-long");
    await untilMessages(t, waiting, expected);

    // the line moves five times: run 11 enters the head at once; run 15 only on the fifth move
    let current = held;
    for (let moved = 1; moved <= 5; moved++) {
      await finishAndTakeNext(t, host, current, waiting[moved - 1]);
      current = waiting[moved - 1];
      await untilMessages(t, waiting.slice(moved), expected);
    }
    // a run told "10 or more ahead" was not told again until that stopped being true
    expect(await waitingEvents(t, waiting[14])).toEqual([
      busyFar(1, "w-long"),
      busy(1, "w-long", EXACT_POSITIONS),
    ]);
    expect(await waitingEvents(t, waiting[10])).toEqual([
      busyFar(1, "w-long"),
      ...[10, 9, 8, 7, 6].map((p) => busy(1, "w-long", p)),
    ]);
    host.close();
  }, 30_000);

  it(`a run handed back goes first: the runs it went ahead of move back, the ${EXACT_POSITIONS}th out of the head`, async () => {
    const t = await newTeam("line");
    const { host, waiting } = await busyLine(t, "w-back", EXACT_POSITIONS + 2);
    // a second host takes the first waiting run, then stops taking work and hands it back
    const second = await TestHost.connect(t.key, "w-back", { capacity: 1 });
    await second.assignmentOf(waiting[0]);
    const behind = waiting.slice(1);
    await untilMessages(t, behind, (i) =>
      i < EXACT_POSITIONS ? busy(2, "w-back", i + 1) : busyFar(2, "w-back"),
    );
    second.hello({ capacity: 0 });
    await eventually("capacity 0", async () =>
      (await poolHosts(t.teamId, "w-back")).some((h) => h.capacity === 0),
    );
    second.reject(waiting[0], "draining");
    // same reason (2 hosts, all busy): only the move tells the runs behind the head anything
    await untilMessages(t, waiting, (i) =>
      i < EXACT_POSITIONS ? busy(2, "w-back", i + 1) : busyFar(2, "w-back"),
    );
    expect((await waitingEvents(t, waiting[EXACT_POSITIONS])).slice(-2)).toEqual([
      busy(2, "w-back", EXACT_POSITIONS),
      busyFar(2, "w-back"),
    ]);
    host.close();
    second.close();
  });

  it("the last host going away turns every message (head and further back) into 'no host connected'; a new host turns them back", async () => {
    const t = await newTeam("line");
    const { host, held, waiting } = await busyLine(t, "w-gone", 12);
    await untilMessages(t, waiting, (i) =>
      i < EXACT_POSITIONS ? busy(1, "w-gone", i + 1) : busyFar(1, "w-gone"),
    );

    host.close(); // it holds a run it claimed: that run stays its own (lost, not requeued)
    await untilMessages(t, waiting, () => noHost("w-gone"));
    expect(await waitingEvents(t, waiting[11])).toEqual([busyFar(1, "w-gone"), noHost("w-gone")]);

    // another host of capacity 2: it takes the first two; the rest are told where they stand
    const next = await TestHost.connect(t.key, "w-gone", { capacity: 2 });
    await next.assignmentOf(waiting[1]);
    const rest = waiting.slice(2);
    await untilMessages(t, rest, (i) =>
      i < EXACT_POSITIONS ? busy(1, "w-gone", i + 1) : busyFar(1, "w-gone"),
    );
    expect((await poolState(t.teamId, "w-gone")).held.map((h) => h.run_id).sort()).toEqual(
      [held, waiting[0], waiting[1]].sort(),
    );
    next.close();
  });

  it("a second host joining changes the count every waiting run is told", async () => {
    const t = await newTeam("line");
    const { host, waiting } = await busyLine(t, "w-two", 3);
    const second = await TestHost.connect(t.key, "w-two", { capacity: 1 });
    await second.assignmentOf(waiting[0]);
    await untilMessages(t, waiting.slice(1), (i) => busy(2, "w-two", i + 1));
    host.close();
    second.close();
  });

  it("the team's limit: every waiting run says so with its position, and moves up as runs start", async () => {
    const t = await newTeam("line");
    await call("PATCH", "/api/v1/team", {
      key: t.key,
      body: { limits: { max_concurrent_runs: 1 } },
    });
    const host = await TestHost.connect(t.key, "w-limit", { capacity: 3 });
    await eventually(
      "hello",
      async () => (await poolHosts(t.teamId, "w-limit"))[0]?.capacity === 3,
    );
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) {
      runs.push(await queuedRun(t, "w-limit", `run ${i}`));
      await offer(t, runs[i], "w-limit");
    }
    await host.take(t.key, runs[0]);
    const limit = (position: number, max = 1) =>
      new RegExp(
        `^Waiting: the team's concurrency limit is reached \\(${max} of ${max} runs active; position ${position} in line\\)`,
      );
    for (const [i, r] of runs.slice(1).entries())
      expect(await messageOf(t, r)).toMatch(limit(i + 1));

    await finishAndTakeNext(t, host, runs[0], runs[1]);
    await eventually("positions 1..2 under the limit", async () => {
      const [a, b] = await Promise.all([messageOf(t, runs[2]), messageOf(t, runs[3])]);
      return limit(1).test(a) && limit(2).test(b);
    });

    // an admin raises the limit: the pool sees it when it looks again (its alarm), starts one more
    // run, and the last one is told the new limit
    expect(
      (
        await call("PATCH", "/api/v1/team", {
          key: t.key,
          body: { limits: { max_concurrent_runs: 2 } },
        })
      ).status,
    ).toBe(200);
    await runDurableObjectAlarm(poolStub(t.teamId, "w-limit"));
    await host.assignmentOf(runs[2]);
    await eventually("position 1 of a limit of 2", async () =>
      limit(1, 2).test(await messageOf(t, runs[3])),
    );
    // raised past what the host can hold: it is the host that is busy now
    await host.take(t.key, runs[2]);
    expect(
      (
        await call("PATCH", "/api/v1/team", {
          key: t.key,
          body: { limits: { max_concurrent_runs: 10 } },
        })
      ).status,
    ).toBe(200);
    await runDurableObjectAlarm(poolStub(t.teamId, "w-limit"));
    await host.assignmentOf(runs[3]);
    const fifth = await queuedRun(t, "w-limit", "run 4");
    await offer(t, fifth, "w-limit");
    expect(await messageOf(t, fifth)).toBe(busy(1, "w-limit", 1));
    host.close();
  });

  it("a run whose session ended without the pool hearing of it leaves the line at the next refresh, and is no longer counted", async () => {
    const t = await newTeam("line");
    const { host, held, waiting } = await busyLine(t, "w-ended", 2);
    // a run the pool believes waits at the head, whose session has in fact ended
    const ended = (
      await insertRunRow(t, { worker_host: "w-ended", state: "SUCCEEDED", ended_at: Date.now() })
    ).id;
    await runInDurableObject(
      poolStub(t.teamId, "w-ended") as DurableObjectStub<HostPool>,
      (_: HostPool, s) =>
        enqueue(s.storage.sql, {
          run_id: ended,
          team_id: t.teamId,
          execution_id: 1,
          enqueued_at: 0,
          attempts: 0,
        }),
    );
    await runDurableObjectAlarm(poolStub(t.teamId, "w-ended"));
    expect((await poolState(t.teamId, "w-ended")).line.map((e) => e.run_id)).toEqual(waiting);
    await untilMessages(t, waiting, (i) => busy(1, "w-ended", i + 1));
    await finishAndTakeNext(t, host, held, waiting[0]);
    await untilMessages(t, [waiting[1]], () => busy(1, "w-ended", 1));
    host.close();
  });
});
