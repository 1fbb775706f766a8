import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { idsOf, listRuns, runRow } from "../helpers/runs.ts";
import {
  createSchedule,
  expectRuns,
  fireCron,
  getSchedule,
  MINUTE,
  nextRunOf,
  pauseAllSchedules,
  runsOfSchedule,
  SCHEDULES,
  setNextRun,
  untilSchedule,
} from "../helpers/schedules.ts";

vi.setConfig({ testTimeout: 30_000 });
afterEach(pauseAllSchedules);

const iso = (ms: number) => new Date(ms).toISOString();
const meta = (row: { metadata: string | null }) =>
  JSON.parse(row.metadata ?? "{}") as Record<string, string>;

describe("Cron Trigger: slots fire once", () => {
  it("starts the run of a due slot through createRun: source, schedule info, metadata, history", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key, {
      name: "Every minute",
      prompt: "Check the build",
      metadata: { team: "ci" },
      agent_config: { model_id: "gpt-5", name: "ci-check" },
    });
    const slot = await nextRunOf(t.key, s.id);
    await fireCron(slot - MINUTE); // a minute early: nothing is due
    await fireCron(slot);
    await expectRuns([s.id], 1);
    const [row] = await runsOfSchedule(s.id);
    const run = await call("GET", `/api/v1/agent/runs/${row.id}`, { key: t.key });
    expect(run.json).toMatchObject({
      source: "SCHEDULED_AGENT",
      title: "Every minute",
      prompt: "Check the build",
      schedule: { schedule_id: s.id, schedule_name: "Every minute", cron_schedule: "* * * * *" },
      metadata: { team: "ci", "ambit.schedule_slot": iso(slot) },
      agent_config: { model_id: "gpt-5", name: "ci-check" },
      creator: { type: "user", uid: t.userId },
      scope: { type: "Team", uid: t.teamId },
      state: "QUEUED",
    });
    expect(run.json.metadata["ambit.catch_up"]).toBeUndefined();
    const after = await getSchedule(t.key, s.id);
    expect(after.history).toMatchObject({
      last_ran: iso(slot),
      next_run: iso(slot + MINUTE),
      last_run_id: row.id,
    });
    expect(after.last_spawn_error).toBeNull();
    // the runs list filters by schedule
    expect(idsOf(await listRuns(t.key, `schedule_id=${s.id}`))).toEqual([row.id]);
    expect(idsOf(await listRuns(t.key, `source=SCHEDULED_AGENT`))).toEqual([row.id]);

    // the same minute again, a second later: nothing new
    await fireCron(slot + 1_000);
    await expectRuns([s.id], 1);
  });

  it("duplicated and overlapping handler invocations start exactly one run per schedule per slot", async () => {
    const t = await newTeam();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++)
      ids.push((await createSchedule(t.key, { name: `dup ${i}`, overlap_policy: "allow" })).id);
    const slot = Math.max(...(await Promise.all(ids.map((id) => nextRunOf(t.key, id)))));
    for (const id of ids) await setNextRun(id, slot);
    await Promise.all([fireCron(slot), fireCron(slot), fireCron(slot + 30_000), fireCron(slot)]);
    await expectRuns(ids, 12);
    for (const id of ids) expect((await runsOfSchedule(id)).length, id).toBe(1);
    // the next minute's two ticks overlap as well: one more each
    await Promise.all([fireCron(slot + MINUTE), fireCron(slot + MINUTE)]);
    await expectRuns(ids, 24);
    for (const id of ids)
      expect(
        (await runsOfSchedule(id)).map((r) => meta(r)["ambit.schedule_slot"]).sort(),
        id,
      ).toEqual([iso(slot), iso(slot + MINUTE)]);
  });
});

describe("Cron Trigger: pause, resume, edit", () => {
  it("a paused schedule does not fire; resumed, it fires from its next slot after now", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key);
    const slot = await nextRunOf(t.key, s.id);
    expect((await call("POST", `${SCHEDULES}/${s.id}/pause`, { key: t.key })).status).toBe(200);
    await fireCron(slot);
    await fireCron(slot + MINUTE);
    await expectRuns([s.id], 0);
    const resumed = await call("POST", `${SCHEDULES}/${s.id}/resume`, { key: t.key });
    const next = Date.parse(resumed.json.history.next_run);
    expect(next).toBeGreaterThanOrEqual(slot);
    await fireCron(next);
    await expectRuns([s.id], 1);
    const [row] = await runsOfSchedule(s.id);
    expect(meta(row)["ambit.catch_up"]).toBeUndefined(); // the paused slots are not caught up
  });

  it("an edit takes effect at the next slot", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key, {
      prompt: "old prompt",
      metadata: { v: "1" },
      overlap_policy: "allow",
    });
    const slot = await nextRunOf(t.key, s.id);
    await fireCron(slot);
    await expectRuns([s.id], 1);
    // same cron: the next slot stays; what it runs changes
    const put = await call("PUT", `${SCHEDULES}/${s.id}`, {
      key: t.key,
      body: {
        name: "renamed",
        cron_schedule: "* * * * *",
        enabled: true,
        prompt: "new prompt",
        metadata: { v: "2" },
      },
    });
    expect(put.status).toBe(200);
    expect(Date.parse(put.json.history.next_run)).toBe(slot + MINUTE);
    await fireCron(slot + MINUTE);
    await expectRuns([s.id], 2);
    const [first, second] = await runsOfSchedule(s.id);
    expect([first.prompt, meta(first).v]).toEqual(["old prompt", "1"]);
    expect([second.prompt, second.title, meta(second).v]).toEqual(["new prompt", "renamed", "2"]);
    expect(JSON.parse(second.schedule_info!)).toEqual({
      schedule_id: s.id,
      schedule_name: "renamed",
      cron_schedule: "* * * * *",
    });
    // a new cron moves the next slot
    const hourly = await call("PUT", `${SCHEDULES}/${s.id}`, {
      key: t.key,
      body: { name: "renamed", cron_schedule: "0 * * * *", enabled: true, prompt: "new prompt" },
    });
    const nextHour = Date.parse(hourly.json.history.next_run);
    expect(new Date(nextHour).getUTCMinutes()).toBe(0);
    await fireCron(slot + 2 * MINUTE);
    if (nextHour > slot + 2 * MINUTE) await expectRuns([s.id], 2);
  });
});

describe("Cron Trigger: overlap policies", () => {
  async function twoSlots(policy: string) {
    const t = await newTeam();
    const s = await createSchedule(t.key, { overlap_policy: policy });
    const slot = await nextRunOf(t.key, s.id);
    await fireCron(slot);
    await expectRuns([s.id], 1, { settleMs: 200 });
    const [first] = await runsOfSchedule(s.id);
    expect(first.state).toBe("QUEUED"); // no host: the first run is still active
    await fireCron(slot + MINUTE);
    return { t, s, slot, first };
  }

  it("skip (the default): no new run while the previous one is active, and the schedule says why", async () => {
    const { t, s, slot, first } = await twoSlots("skip");
    const after = await untilSchedule(t.key, s.id, (x) => x.history.last_skipped_at !== null);
    expect(after.history).toMatchObject({
      last_skipped_at: iso(slot + MINUTE),
      last_run_id: first.id,
      last_ran: iso(slot),
    });
    expect(after.history.last_skip_reason).toContain(first.id);
    expect(after.last_spawn_error).toBeNull();
    await expectRuns([s.id], 1);
    // once the previous run ended, the next slot starts again
    expect(
      (await call("POST", `/api/v1/agent/runs/${first.id}/cancel`, { key: t.key })).status,
    ).toBe(200);
    await fireCron(slot + 2 * MINUTE);
    await expectRuns([s.id], 2);
  });

  it("allow: starts anyway", async () => {
    const { s } = await twoSlots("allow");
    await expectRuns([s.id], 2);
    const runs = await runsOfSchedule(s.id);
    expect(runs.map((r) => r.state)).toEqual(["QUEUED", "QUEUED"]);
  });

  it("cancel_previous: cancels the previous run, then starts", async () => {
    const { s, first } = await twoSlots("cancel_previous");
    await expectRuns([s.id], 2);
    expect((await runRow(first.id))?.state).toBe("CANCELLED");
    expect((await runsOfSchedule(s.id))[1].state).toBe("QUEUED");
  });
});

describe("Cron Trigger: downtime and failures", () => {
  it("after downtime, missed slots are not replayed: one late run marked as a catch-up", async () => {
    const t = await newTeam();
    const daily = await createSchedule(t.key, { name: "daily", cron_schedule: "0 9 * * *" });
    const minutely = await createSchedule(t.key, { name: "minutely", overlap_policy: "allow" });
    const tick = Date.parse("2027-01-10T09:42:00Z");
    await setNextRun(daily.id, Date.parse("2027-01-07T09:00:00Z")); // the platform was down since before Jan 7, 09:00
    await setNextRun(minutely.id, tick - 30 * MINUTE);
    await fireCron(tick);
    await expectRuns([daily.id, minutely.id], 2);
    const [d] = await runsOfSchedule(daily.id);
    expect(meta(d)).toEqual({
      "ambit.schedule_slot": "2027-01-10T09:00:00.000Z",
      "ambit.catch_up": "true",
      "ambit.missed_slots": "3",
    });
    const [m] = await runsOfSchedule(minutely.id);
    // the current minute is itself a slot: it starts on time, and says how many it stands in for
    expect(meta(m)).toEqual({ "ambit.schedule_slot": iso(tick), "ambit.missed_slots": "30" });
    expect((await getSchedule(t.key, daily.id)).history.next_run).toBe("2027-01-11T09:00:00.000Z");
    expect((await getSchedule(t.key, minutely.id)).history.next_run).toBe(iso(tick + MINUTE));
    // a very long outage counts up to 100 and jumps to the latest slot
    await setNextRun(minutely.id, tick - 5 * 86_400_000);
    await fireCron(tick + 10 * MINUTE);
    await expectRuns([minutely.id], 2);
    expect(meta((await runsOfSchedule(minutely.id))[1])).toEqual({
      "ambit.schedule_slot": iso(tick + 10 * MINUTE),
      "ambit.missed_slots": "100+",
    });
  });

  it("a spawn failure records last_spawn_error and does not stop later slots; a success clears it", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    const s = await createSchedule(member.key, { overlap_policy: "allow" });
    const slot = await nextRunOf(t.key, s.id);
    const demote = await call("PATCH", `/api/v1/team/members/${member.userId}`, {
      key: t.key,
      body: { role: "viewer" },
    });
    expect(demote.status, demote.text).toBe(200);
    await fireCron(slot);
    const failed = await untilSchedule(t.key, s.id, (x) => x.last_spawn_error !== null);
    expect(failed.last_spawn_error).toContain(iso(slot));
    expect(failed.last_spawn_error).toMatch(/needs the 'member' role/);
    expect(failed.history).toMatchObject({ last_ran: null, next_run: iso(slot + MINUTE) });
    await expectRuns([s.id], 0, { settleMs: 200 });

    expect(
      (
        await call("PATCH", `/api/v1/team/members/${member.userId}`, {
          key: t.key,
          body: { role: "member" },
        })
      ).status,
    ).toBe(200);
    await fireCron(slot + MINUTE);
    const ok = await untilSchedule(t.key, s.id, (x) => x.history.last_ran !== null);
    expect(ok.last_spawn_error).toBeNull();
    expect(ok.history.last_ran).toBe(iso(slot + MINUTE));
    await expectRuns([s.id], 1);

    // an owner who left the team: the error says so
    expect(
      (await call("DELETE", `/api/v1/team/members/${member.userId}`, { key: t.key })).status,
    ).toBe(204);
    await fireCron(slot + 2 * MINUTE);
    const gone = await untilSchedule(t.key, s.id, (x) => x.last_spawn_error !== null);
    expect(gone.last_spawn_error).toMatch(/no longer a member/);
  });

  it("the schedule's configuration resolves like any run's: a deleted environment is a spawn error naming it", async () => {
    const t = await newTeam();
    const made = await call("POST", "/api/v1/agent/environments", {
      key: t.key,
      body: { name: "widgets" },
    });
    expect(made.status, made.text).toBe(201);
    const envId = made.json.uid as string;
    const s = await createSchedule(t.key, {
      overlap_policy: "allow",
      agent_config: { environment_id: envId },
    });
    const slot = await nextRunOf(t.key, s.id);
    await fireCron(slot);
    await untilSchedule(t.key, s.id, (x) => x.history.last_ran !== null);
    const [first] = await runsOfSchedule(s.id);
    expect(first.environment_id).toBe(envId);

    expect(
      (await call("DELETE", `/api/v1/agent/environments/${envId}`, { key: t.key })).status,
    ).toBe(204);
    await fireCron(slot + MINUTE);
    const failed = await untilSchedule(t.key, s.id, (x) => x.last_spawn_error !== null);
    expect(failed.last_spawn_error).toContain(iso(slot + MINUTE));
    expect(failed.last_spawn_error).toContain(envId);
    await expectRuns([s.id], 1, { settleMs: 200 });
  });

  it("a deleted schedule stops: its claimed slot starts nothing, its past runs stay", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key, { overlap_policy: "allow" });
    const slot = await nextRunOf(t.key, s.id);
    await fireCron(slot);
    await expectRuns([s.id], 1);
    expect((await call("DELETE", `${SCHEDULES}/${s.id}`, { key: t.key })).status).toBe(200);
    await fireCron(slot + MINUTE);
    await expectRuns([s.id], 1);
    expect(idsOf(await listRuns(t.key, `schedule_id=${s.id}`))).toHaveLength(1);
  });
});

describe("Cron Trigger: personal schedules and time zones", () => {
  it("a personal schedule's runs are personal runs of its owner", async () => {
    const t = await newTeam();
    const member = await memberKey(t.key, "member");
    const s = await createSchedule(member.key, { team: false });
    const slot = await nextRunOf(member.key, s.id);
    await fireCron(slot);
    await expectRuns([s.id], 1);
    const [row] = await runsOfSchedule(s.id);
    expect([row.scope, row.creator_id]).toEqual(["User", member.userId]);
    expect(
      (await call("GET", `/api/v1/agent/runs/${row.id}`, { key: member.key })).json.scope,
    ).toEqual({ type: "User", uid: member.userId });
    expectProblem(
      await call("GET", `/api/v1/agent/runs/${row.id}`, { key: t.key }),
      404,
      "resource_not_found",
    );
    expect(idsOf(await listRuns(t.key, `schedule_id=${s.id}`))).toEqual([]);
  });

  it("fires at the local time of its zone across DST: a skipped hour runs once an hour late, a repeated hour once", async () => {
    const t = await newTeam();
    const spring = await createSchedule(t.key, {
      name: "spring",
      cron_schedule: "30 2 * * *",
      timezone: "America/New_York",
      overlap_policy: "allow",
    });
    const fall = await createSchedule(t.key, {
      name: "fall",
      cron_schedule: "30 1 * * *",
      timezone: "America/New_York",
      overlap_policy: "allow",
    });
    await setNextRun(fall.id, Date.parse("2027-11-06T05:30:00Z")); // 01:30 EDT
    // US DST 2027 starts Mar 14 (02:00 → 03:00) and ends Nov 7 (02:00 → 01:00)
    await setNextRun(spring.id, Date.parse("2027-03-13T07:30:00Z")); // 02:30 EST
    await fireCron(Date.parse("2027-03-13T07:30:00Z"));
    await expectRuns([spring.id], 1, { settleMs: 200 });
    // 02:30 does not exist on Mar 14: it runs at 03:30 EDT (07:30Z), then back to 02:30 EDT (06:30Z)
    expect((await getSchedule(t.key, spring.id)).history.next_run).toBe("2027-03-14T07:30:00.000Z");
    await fireCron(Date.parse("2027-03-14T06:30:00Z"));
    await fireCron(Date.parse("2027-03-14T07:30:00Z"));
    await expectRuns([spring.id], 2, { settleMs: 200 });
    expect((await getSchedule(t.key, spring.id)).history.next_run).toBe("2027-03-15T06:30:00.000Z");

    await fireCron(Date.parse("2027-11-06T05:30:00Z"));
    expect((await getSchedule(t.key, fall.id)).history.next_run).toBe("2027-11-07T05:30:00.000Z"); // the first 01:30 (EDT)
    await fireCron(Date.parse("2027-11-07T05:30:00Z"));
    await fireCron(Date.parse("2027-11-07T06:30:00Z")); // 01:30 EST, the repeated hour: nothing
    expect((await getSchedule(t.key, fall.id)).history.next_run).toBe("2027-11-08T06:30:00.000Z");
    await expectRuns([fall.id], 2);
    // the two ticks' messages may be started in one consumer batch, in either order
    expect(
      (await runsOfSchedule(fall.id)).map((r) => meta(r)["ambit.schedule_slot"]).sort(),
    ).toEqual(["2027-11-06T05:30:00.000Z", "2027-11-07T05:30:00.000Z"]);
  });
});

describe("Cron Trigger: housekeeping still runs", () => {
  it("prunes expired idempotency records in the same tick that fires schedules", async () => {
    const t = await newTeam();
    const s = await createSchedule(t.key);
    const slot = await nextRunOf(t.key, s.id);
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (scope, key, request_hash, status, locked_until, created_at, expires_at) VALUES ('cron-x', 'old', 'h', 'completed', 0, 0, 1)",
    ).run();
    await fireCron(slot);
    expect(
      await env.DB.prepare("SELECT key FROM idempotency_keys WHERE scope = 'cron-x'").first(),
    ).toBeNull();
    await expectRuns([s.id], 1);
  });
});
