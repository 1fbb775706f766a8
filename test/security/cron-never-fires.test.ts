// Finding 10 (crons): a cron that can never fire (`0 0 31 4,6,9,11 *`, Feb 30…) made croner search
// until the stack overflowed: 500. It is now a 400 that says the cron never fires, and croner's
// search can never surface as a 500 (checked before croner is asked, and its RangeError caught).
import { describe, expect, it } from "vitest";
import { Cron } from "croner";
import { nextSlot, parseCron } from "../../src/services/schedules/cron.ts";
import { call, expectProblem, newTeam } from "../helpers/api.ts";
import { createSchedule, SCHEDULES } from "../helpers/schedules.ts";

const NEVER = [
  "0 0 31 4,6,9,11 *", // the 31st of 30-day months
  "0 0 30 2 *", // Feb 30
  "0 0 30,31 2 *",
  "15 10 31 2,4 *",
  "0 0 31 4-6/2 *", // Apr and Jun: 30 days each
  "0 12 31 11 *", // Nov 31
];

describe("a cron that never fires", () => {
  for (const cron of NEVER) {
    it(`'${cron}' is a 400 saying it never fires, on create and on replace`, async () => {
      const t = await newTeam();
      const res = await call("POST", SCHEDULES, {
        key: t.key,
        body: { name: "n", cron_schedule: cron, prompt: "p" },
      });
      const body = expectProblem(res, 400, "invalid_request");
      expect(body.detail).toMatch(/never fires/);
      expect(body.errors).toEqual([
        { path: "cron_schedule", message: expect.stringMatching(/never fires/) },
      ]);
      const s = await createSchedule(t.key);
      const put = await call("PUT", `${SCHEDULES}/${s.id}`, {
        key: t.key,
        body: { name: "n", cron_schedule: cron, enabled: true, prompt: "p" },
      });
      expectProblem(put, 400, "invalid_request");
    });
  }

  it("rare but possible crons are accepted: Feb 29, the 31st of some months, day-of-month OR day-of-week", async () => {
    const t = await newTeam();
    for (const cron of ["0 0 29 2 *", "0 0 31 1-12 *", "0 0 31 4,5 *", "0 0 30 2 1", "0 0 L 2 *"]) {
      const res = await call("POST", SCHEDULES, {
        key: t.key,
        body: { name: cron, cron_schedule: cron, prompt: "p" },
      });
      expect(res.status, `${cron}: ${res.text}`).toBe(201);
    }
  });

  it("in every time zone", async () => {
    const t = await newTeam();
    const res = await call("POST", SCHEDULES, {
      key: t.key,
      body: {
        name: "n",
        cron_schedule: "0 0 31 4,6,9,11 *",
        prompt: "p",
        timezone: "Pacific/Kiritimati",
      },
    });
    expect(expectProblem(res, 400, "invalid_request").detail).toMatch(/never fires/);
  });

  it("croner's own search, asked directly, never escapes as a RangeError", () => {
    expect(() => parseCron("0 0 31 4,6,9,11 *")).toThrow(/never fires/);
    const raw = new Cron("0 0 31 4,6,9,11 *", { mode: "5-part", paused: true });
    expect(nextSlot(raw, Date.now())).toBeNull();
  });
});
