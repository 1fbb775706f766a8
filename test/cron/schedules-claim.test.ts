// The tick's claim, page by page: concurrent claimants split the due slots between them, never
// claiming one twice, and every due schedule is claimed once in the end.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { claimDueSlots } from "../../src/services/schedules/claim-slots.ts";
import { newTeam } from "../helpers/api.ts";
import {
  createSchedule,
  getSchedule,
  MINUTE,
  pauseAllSchedules,
  setNextRun,
} from "../helpers/schedules.ts";

afterEach(pauseAllSchedules);

describe("claimDueSlots", () => {
  it("pages through the due schedules; concurrent claimants never claim a slot twice", async () => {
    await pauseAllSchedules();
    const t = await newTeam();
    const tick = Date.parse("2029-06-01T12:00:00Z");
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      const s = await createSchedule(t.key, { name: `page ${i}`, cron_schedule: "*/5 * * * *" });
      await setNextRun(s.id, tick - (i % 3) * 5 * MINUTE); // due now, or one or two slots late
      ids.push(s.id);
    }
    const claimed: string[] = [];
    const claimant = async () => {
      for (;;) {
        const page = await claimDueSlots(env.DB, tick, 4);
        claimed.push(...page.claimed.map((m) => m.schedule_id));
        for (const m of page.claimed)
          expect(m).toMatchObject({ kind: "spawn", team_id: t.teamId, slot: tick, tick });
        if (page.due === 0) return;
      }
    };
    await Promise.all([claimant(), claimant(), claimant()]);
    expect(claimed.sort()).toEqual([...ids].sort());
    for (const id of ids)
      expect((await getSchedule(t.key, id)).history.next_run).toBe(
        new Date(tick + 5 * MINUTE).toISOString(),
      );
    expect((await claimDueSlots(env.DB, tick)).due).toBe(0);
  });

  it("counts the slots a late claim stands in for", async () => {
    await pauseAllSchedules();
    const t = await newTeam();
    const s = await createSchedule(t.key, { cron_schedule: "0 * * * *" });
    const tick = Date.parse("2029-06-01T12:30:00Z");
    await setNextRun(s.id, Date.parse("2029-06-01T08:00:00Z"));
    const { claimed } = await claimDueSlots(env.DB, tick);
    expect(claimed).toEqual([
      {
        kind: "spawn",
        schedule_id: s.id,
        team_id: t.teamId,
        slot: Date.parse("2029-06-01T12:00:00Z"),
        tick,
        missed: 4,
      },
    ]);
    expect((await getSchedule(t.key, s.id)).history.next_run).toBe("2029-06-01T13:00:00.000Z");
  });
});
