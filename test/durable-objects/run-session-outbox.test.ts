// The run's platform events go out from its event log (platform-events.ts): a change is sent as
// it was written, the cursor and the failures kept in memory and stored after each send. These
// pin that nothing is lost or sent twice by it: a failed send is retried from the alarm with the
// same ids, and a restarted session resumes from the stored cursor.
import {
  env,
  evictDurableObject,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HostReport } from "../../durable-objects/run-session/report.ts";
import { newTeam } from "../helpers/api.ts";
import { sleep } from "../helpers/hosts.ts";
import {
  createWebhook,
  deliveriesOf,
  receiverEndpoint,
  untilDelivery,
} from "../helpers/webhooks.ts";
import { advance, HOST_ACTOR, insertRunRow, sessionOf } from "../helpers/runs.ts";

type Sent = { id: string; type: string; data: { state?: string } };

/** The platform events each `sendBatch` to EVENTS carried (one list per call). */
function watchSends() {
  const queue = Object.getPrototypeOf(env.EVENTS) as Queue;
  const spy = vi.spyOn(queue, "sendBatch");
  const sent = () =>
    spy.mock.calls.map(([batch]) =>
      [...batch].flatMap((m) => {
        const body = m.body as Sent | { events: Sent[] };
        return "events" in body ? body.events : [body];
      }),
    );
  return { spy, sent };
}

async function runAt(...commands: Parameters<typeof advance>[1][]) {
  const team = await newTeam("outbox");
  // a webhook hears the team's runs: their platform events are sent
  const receiver = await receiverEndpoint();
  await createWebhook(team.key, { url: receiver.url, event_types: ["run.completed"] });
  const row = await insertRunRow(team, { worker_host: "w-outbox" });
  const ref = { runId: row.id, teamId: team.teamId };
  await advance(ref, ...commands);
  const report = (msg: HostReport) => sessionOf(row.id).report(ref, HOST_ACTOR, msg);
  return { ref, report };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("RunSession's platform events", () => {
  it("retries a failed send from the alarm with the same ids; the next change sends its own only", async () => {
    const { ref, report } = await runAt("dispatch", "claim");
    const { spy, sent } = watchSends();
    spy.mockRejectedValueOnce(new Error("queue unavailable"));
    const started = await report({ type: "task_started", data: { task_id: ref.runId } });
    expect(started).toMatchObject({ ok: true, state: "INPROGRESS" }); // the change stands
    expect(sent()).toHaveLength(1);
    const [failed] = sent();
    expect(failed.map((e) => [e.type, e.data.state])).toEqual([
      ["run.state_changed", "INPROGRESS"],
    ]);
    // the retry comes from the alarm, with the events' ids unchanged
    expect(await runDurableObjectAlarm(sessionOf(ref.runId))).toBe(true);
    expect(sent()).toHaveLength(2);
    expect(sent()[1]).toEqual(failed);
    await report({ type: "task_completed", data: { task_id: ref.runId, message: "Done" } });
    expect(sent()).toHaveLength(3);
    expect(sent()[2].map((e) => [e.type, e.data.state])).toEqual([
      ["run.state_changed", "SUCCEEDED"],
      ["run.completed", "SUCCEEDED"],
    ]);
  });

  it("a restarted session sends what came after the stored cursor, not again what was sent", async () => {
    const { ref, report } = await runAt("dispatch", "claim");
    await evictDurableObject(sessionOf(ref.runId));
    const { sent } = watchSends();
    await report({ type: "task_started", data: { task_id: ref.runId } });
    expect(sent().map((batch) => batch.map((e) => [e.type, e.data.state]))).toEqual([
      [["run.state_changed", "INPROGRESS"]],
    ]);
  });

  it("a change the session could not send before it restarted goes out with the next one", async () => {
    const { ref, report } = await runAt("dispatch", "claim");
    const { spy, sent } = watchSends();
    spy.mockRejectedValueOnce(new Error("queue unavailable"));
    await report({ type: "task_started", data: { task_id: ref.runId } });
    await evictDurableObject(sessionOf(ref.runId));
    await report({ type: "task_completed", data: { task_id: ref.runId, message: "Done" } });
    expect(sent().map((batch) => batch.map((e) => e.data.state))).toEqual([
      ["INPROGRESS"],
      ["INPROGRESS", "SUCCEEDED", "SUCCEEDED"],
    ]);
    expect(sent()[1][0].id).toBe(sent()[0][0].id);
  });
});

describe("changes no one heard", () => {
  const cursors = (runId: string) =>
    runInDurableObject(sessionOf(runId), (_: unknown, state) => ({
      kv: state.storage.kv.get("platform_events_seq"),
      row: state.storage.sql.exec<{ p: number | null }>("SELECT platform_seq AS p FROM run").one()
        .p,
      last: state.storage.sql.exec<{ s: number }>("SELECT MAX(seq) AS s FROM events").one().s,
    }));

  it("move the cursor with the run's next change: no write of their own, nothing sent", async () => {
    const team = await newTeam("outbox-unheard"); // no webhook, no integration thread
    const row = await insertRunRow(team, { worker_host: "w-outbox" });
    const ref = { runId: row.id, teamId: team.teamId };
    const { sent } = watchSends();
    await advance(ref, "dispatch", "claim", "start");
    expect(sent()).toEqual([]);
    // the row was written with each change, the cursor as it stood before that change's send
    expect(await cursors(row.id)).toEqual({ kv: undefined, row: 3, last: 4 });
    // an ended run's archive writes the row once more: the cursor is past everything
    await advance(ref, "succeed");
    expect(await cursors(row.id)).toEqual({ kv: undefined, row: 5, last: 5 });
  });

  it("are sent again after a restart at most once, and reach no webhook made since", async () => {
    const team = await newTeam("outbox-late-hook");
    const row = await insertRunRow(team, { worker_host: "w-outbox" });
    const ref = { runId: row.id, teamId: team.teamId };
    await advance(ref, "dispatch", "claim");
    await evictDurableObject(sessionOf(row.id));
    const receiver = await receiverEndpoint();
    const hook = await createWebhook(team.key, {
      url: receiver.url,
      event_types: ["run.state_changed"],
    });
    const { sent } = watchSends();
    await advance(ref, "start");
    // the claim (stored one change behind) goes out with the start, and the consumer drops it
    expect(sent().map((batch) => batch.map((e) => e.data.state))).toEqual([
      ["CLAIMED", "INPROGRESS"],
    ]);
    const delivered = await untilDelivery(team.key, hook.uid, () => true);
    await sleep(500);
    const all = await deliveriesOf(team.key, hook.uid);
    expect(all).toHaveLength(1);
    expect(all[0].event_id).toBe(delivered.event_id);
    expect(all[0].event_id).toBe(sent()[0][1].id);
  });
});

describe("an ended run's alarm", () => {
  const alarmOf = (runId: string) =>
    runInDurableObject(sessionOf(runId), (_: unknown, state) => state.storage.getAlarm());

  it("is kept while the ending change's events wait to be sent, and gone once they are", async () => {
    const { ref, report } = await runAt("dispatch", "claim", "start");
    const { spy, sent } = watchSends();
    spy.mockRejectedValueOnce(new Error("queue unavailable"));
    await report({ type: "task_completed", data: { task_id: ref.runId, message: "Done" } });
    expect(await alarmOf(ref.runId)).toEqual(expect.any(Number));
    expect(await runDurableObjectAlarm(sessionOf(ref.runId))).toBe(true);
    expect(sent().map((batch) => batch.map((e) => e.type))).toEqual([
      ["run.state_changed", "run.completed"],
      ["run.state_changed", "run.completed"],
    ]);
    expect(await alarmOf(ref.runId)).toBe(null);
  });
});
