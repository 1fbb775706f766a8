// An inbound URL is public: someone who knows it but not the secret must not be able to start,
// block or learn anything. A forged delivery carrying a real sender's next `webhook-id` must not
// make the real one look like a repeat; a disabled integration says so only to a signed sender;
// another team's secret does not verify; a flood of forgeries records a bounded number of rows and
// never holds up a signed delivery.
import { describe, expect, it, vi } from "vitest";
import { FORGERIES_RECORDED_PER_MINUTE } from "../../src/services/integrations/receive-delivery.ts";
import { newTeam } from "../helpers/api.ts";
import {
  createWebhookIntegration,
  deliver,
  deliveriesOf,
  processed,
  runsOfIntegration,
} from "../helpers/integrations.ts";

vi.setConfig({ testTimeout: 30_000 });
const FORGER = `whsec_${btoa("forger-forger-forger-forger-1234")}`;

describe("forged deliveries to an inbound URL", () => {
  it("a forged request with the real sender's delivery id does not block the real delivery", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key);
    expect((await deliver(uid, FORGER, { evil: 1 }, { id: "msg_next" })).status).toBe(401);
    const real = await deliver(uid, secret, { task: "real" }, { id: "msg_next" });
    expect(real.status, real.text).toBe(202);
    expect((await processed(t.key, uid, real.json.delivery_id)).outcome).toBe("run_created");
    expect(await runsOfIntegration(uid)).toHaveLength(1);
  });

  it("another team's secret does not verify, and a disabled integration answers it 401, not 403", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const target = await createWebhookIntegration(a.key, { enabled: false });
    const own = await createWebhookIntegration(b.key);
    const res = await deliver(target.uid, own.secret, { task: "x" });
    expect(res.status).toBe(401);
    expect(res.text).toBe("");
    expect((await deliveriesOf(a.key, target.uid))[0]).toMatchObject({ outcome: "rejected" });
  });

  it("a flood of forged requests is recorded at most FORGERIES_RECORDED_PER_MINUTE times; a signed one still goes through", async () => {
    const t = await newTeam();
    const { uid, secret } = await createWebhookIntegration(t.key);
    const sent = FORGERIES_RECORDED_PER_MINUTE + 15;
    const started = Date.now();
    for (let i = 0; i < sent; i++)
      expect((await deliver(uid, FORGER, { n: i }, { id: `msg_forged_${i}` })).status).toBe(401);
    // the bucket refills continuously (one a second at 60 a minute): a slow machine's flood earns
    // a token per second it took, and no more
    const refilled = Math.ceil(((Date.now() - started) / 60_000) * FORGERIES_RECORDED_PER_MINUTE);
    const rows = await deliveriesOf(t.key, uid, "limit=100");
    const recorded = rows.filter((d) => d.outcome === "rejected").length;
    expect(recorded).toBeGreaterThanOrEqual(FORGERIES_RECORDED_PER_MINUTE);
    expect(recorded).toBeLessThanOrEqual(FORGERIES_RECORDED_PER_MINUTE + refilled);
    expect(recorded).toBeLessThan(sent);
    const real = await deliver(uid, secret, { task: "real" });
    expect(real.status, real.text).toBe(202);
    expect((await processed(t.key, uid, real.json.delivery_id)).outcome).toBe("run_created");
  });
});
