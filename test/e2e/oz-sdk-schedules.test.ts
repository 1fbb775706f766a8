// Compatibility: the published Oz SDK (oz-agent-sdk 1.0.0-alpha.8), unchanged, driving
// `client.agent.schedules.*` against a real `wrangler dev`; the Cron Trigger is fired the way
// Cloudflare's local runtime offers it (`/cdn-cgi/handler/scheduled`).
import OzAPI, { BadRequestError, NotFoundError, PermissionDeniedError } from "oz-agent-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type E2eServer, startE2eServer, waitFor } from "./helpers.ts";

let s: E2eServer;
let client: OzAPI;

const sdk = (apiKey: string) => new OzAPI({ apiKey, baseURL: `${s.url}/api/v1`, maxRetries: 0 });

async function rejection(p: Promise<unknown>) {
  try {
    throw new Error(`expected a rejection, got ${JSON.stringify(await p)}`);
  } catch (err) {
    return err as { status: number; error: Record<string, any> };
  }
}

/** Fires the every-minute Cron Trigger of the local Worker at `time` (ms). */
async function fireCron(time: number) {
  const res = await fetch(
    `${s.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${time}`,
  );
  expect(res.status, await res.text()).toBe(200);
}

beforeAll(async () => {
  s = await startE2eServer({ teamName: "oz-sdk-schedules" });
  client = sdk(s.key);
});
afterAll(async () => {
  await s?.stop();
});

describe("oz-agent-sdk against wrangler dev: schedules", () => {
  it("create, retrieve, list, update, pause, resume and delete with the SDK's own request shapes", async () => {
    const created = await client.agent.schedules.create({
      cron_schedule: "0 9 * * *",
      name: "Daily Code Review",
      prompt: "Review open pull requests and provide feedback",
      enabled: true,
      agent_config: { model_id: "gpt-5", name: "review" },
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^[A-Za-z0-9]{22}$/),
      name: "Daily Code Review",
      cron_schedule: "0 9 * * *",
      enabled: true,
      prompt: "Review open pull requests and provide feedback",
      agent_config: { model_id: "gpt-5", name: "review" },
      last_spawn_error: null,
      scope: { type: "Team", uid: s.team.uid },
      created_by: { type: "user", uid: s.owner.uid },
      history: { last_ran: null, next_run: expect.stringMatching(/T09:00:00\.000Z$/) },
    });
    const other = await client.agent.schedules.create({
      cron_schedule: "*/30 * * * *",
      name: "Another",
      prompt: "p",
      team: false,
    });
    expect(other.scope).toEqual({ type: "User", uid: s.owner.uid });

    expect(await client.agent.schedules.retrieve(created.id)).toEqual(created);
    const list = await client.agent.schedules.list();
    expect(list.schedules.map((x) => x.name)).toEqual(["Another", "Daily Code Review"]);

    const updated = await client.agent.schedules.update(created.id, {
      cron_schedule: "30 8 * * 1-5",
      enabled: true,
      name: "Weekday review",
      prompt: "Review PRs",
    });
    expect(updated).toMatchObject({
      id: created.id,
      name: "Weekday review",
      cron_schedule: "30 8 * * 1-5",
      prompt: "Review PRs",
      agent_config: {},
    });
    expect(updated.history?.next_run).toMatch(/T08:30:00\.000Z$/);

    const paused = await client.agent.schedules.pause(created.id);
    expect(paused).toMatchObject({ enabled: false, history: { next_run: null } });
    const resumed = await client.agent.schedules.resume(created.id);
    expect(resumed.enabled).toBe(true);
    expect(resumed.history?.next_run).toMatch(/T08:30:00\.000Z$/);

    expect(await client.agent.schedules.delete(other.id)).toEqual({ success: true });
    const gone = await rejection(client.agent.schedules.retrieve(other.id));
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(gone.error.error_code).toBe("resource_not_found");
  });

  it("a bad cron is a BadRequestError quoting the field; a viewer gets PermissionDeniedError", async () => {
    const bad = await rejection(
      client.agent.schedules.create({ cron_schedule: "0 25 * * *", name: "bad", prompt: "p" }),
    );
    expect(bad).toBeInstanceOf(BadRequestError);
    expect(bad.error.detail).toMatch(/field 2 \(hour\) '25'/);
    const member = await client.post<{ uid: string }>("/team/members", {
      body: { email: `v-${crypto.randomUUID()}@example.com`, role: "viewer" },
    });
    const minted = await client.post<{ key: string }>("/api-keys", {
      body: { name: "viewer", user_uid: member.uid },
    });
    const denied = await rejection(
      sdk(minted.key).agent.schedules.create({
        cron_schedule: "* * * * *",
        name: "x",
        prompt: "p",
      }),
    );
    expect(denied).toBeInstanceOf(PermissionDeniedError);
  });

  it("the Cron Trigger starts the slot's run, listed by runs.list({ schedule_id })", async () => {
    const sched = await client.agent.schedules.create({
      cron_schedule: "* * * * *",
      name: "Every minute",
      prompt: "Check the build",
    });
    const slot = Date.parse(sched.history!.next_run!);
    await fireCron(slot);
    await fireCron(slot); // the same minute again: still one run
    let runs: Awaited<ReturnType<typeof client.agent.runs.list>>["runs"] = [];
    expect(
      await waitFor(
        async () =>
          (runs = (await client.agent.runs.list({ schedule_id: sched.id })).runs).length > 0,
        15_000,
      ),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 1_500));
    runs = (await client.agent.runs.list({ schedule_id: sched.id })).runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      source: "SCHEDULED_AGENT",
      prompt: "Check the build",
      schedule: {
        schedule_id: sched.id,
        schedule_name: "Every minute",
        cron_schedule: "* * * * *",
      },
      metadata: { "ambit.schedule_slot": new Date(slot).toISOString() },
    });
    expect(
      (await client.agent.runs.list({ source: "SCHEDULED_AGENT" })).runs.map((r) => r.run_id),
    ).toEqual([runs[0].run_id]);
    const after = await client.agent.schedules.retrieve(sched.id);
    expect(after.history).toMatchObject({
      last_ran: new Date(slot).toISOString(),
      next_run: new Date(slot + 60_000).toISOString(),
    });
    await client.agent.schedules.pause(sched.id);
    // the raw API accepts the Ambit extensions the SDK does not know
    const raw = await api(s.url, "POST", "/api/v1/agent/schedules", {
      key: s.key,
      body: {
        name: "tz",
        cron_schedule: "0 9 * * *",
        prompt: "p",
        timezone: "Asia/Tokyo",
        overlap_policy: "cancel_previous",
      },
    });
    expect(raw.status).toBe(201);
    expect(raw.json).toMatchObject({
      timezone: "Asia/Tokyo",
      overlap_policy: "cancel_previous",
      history: { next_run: expect.stringMatching(/T00:00:00\.000Z$/) },
    });
  });
});
