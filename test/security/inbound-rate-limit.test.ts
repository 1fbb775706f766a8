// An integration's inbound URL takes no key: anyone may post to it. Before the integration is
// looked up or a signature checked, requests are limited per client address, so a flood of
// forgeries from one address stops costing the platform verification work (and delivery rows).
import { describe, expect, it } from "vitest";
import { callWithEnv, expectProblem, newTeam } from "../helpers/api.ts";
import { createWebhookIntegration, deliveriesOf } from "../helpers/integrations.ts";

const env = { INBOUND_DELIVERIES_PER_IP_PER_MINUTE: "3" } as never;

const forge = (uid: string, ip: string) =>
  callWithEnv(env, "POST", `/api/v1/integrations/${uid}/events`, {
    raw: JSON.stringify({ task: "x" }),
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": ip,
      "webhook-id": `msg_${crypto.randomUUID()}`,
      "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
      "webhook-signature": "v1,Zm9yZ2Vk",
    },
  });

describe("the inbound URL's per-address limit", () => {
  it("refuses an address past INBOUND_DELIVERIES_PER_IP_PER_MINUTE before checking anything", async () => {
    const t = await newTeam();
    const { uid } = await createWebhookIntegration(t.key);
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    for (let i = 0; i < 3; i++) expect((await forge(uid, ip)).status).toBe(401);
    const refused = await forge(uid, ip);
    expect(expectProblem(refused, 429, "rate_limited").detail).toMatch(
      /INBOUND_DELIVERIES_PER_IP_PER_MINUTE/,
    );
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // refused before the signature check: only the first three were recorded as rejected
    const rows = await deliveriesOf(t.key, uid);
    expect(rows.filter((d) => d.outcome === "rejected")).toHaveLength(3);
    // across every inbound URL, and not for another address
    expect((await forge("no-such-integration", ip)).status).toBe(429);
    expect((await forge(uid, "203.0.113.9")).status).toBe(401);
  });
});
