// An inbound URL is public: someone who knows it but not the secret must not be able to start,
// block or learn anything. A forged delivery carrying a real sender's next `webhook-id` must not
// make the real one look like a repeat; a disabled integration says so only to a signed sender;
// another team's secret does not verify.
import { describe, expect, it, vi } from "vitest";
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
});
