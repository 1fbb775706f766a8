// The generic webhook kind's pure parts: Standard Webhooks verification (the spec's test vector,
// rotation lists, tolerance) and the prompt template.
import { describe, expect, it } from "vitest";
import { renderTemplate, valueAt } from "../../src/integrations/webhook/template.ts";
import { verifyStandardWebhook } from "../../src/integrations/webhook/verify.ts";

// integrations reference §5.3: the reference library's vector
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const BODY = new TextEncoder().encode('{"test": 2432232314}');
const GOOD = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const check = (
  signature: string,
  opts: { now?: number; body?: Uint8Array; secrets?: string[] } = {},
) =>
  verifyStandardWebhook({
    headers: new Headers({
      "webhook-id": ID,
      "webhook-timestamp": String(TS),
      "webhook-signature": signature,
    }),
    body: opts.body ?? BODY,
    secrets: opts.secrets ?? [SECRET],
    now: opts.now ?? TS * 1000,
  });

describe("verifyStandardWebhook", () => {
  it("accepts the spec's vector, also among other entries and versions", async () => {
    expect(await check(GOOD)).toEqual({ ok: true, deliveryId: ID, event: "webhook" });
    expect((await check(`v1,${btoa("x".repeat(32))} v1a,abc v2,zz ${GOOD}`)).ok).toBe(true);
    expect((await check(GOOD, { secrets: [`whsec_${btoa("y".repeat(32))}`, SECRET] })).ok).toBe(
      true,
    );
  });

  it("refuses an altered body, a wrong secret, a bad entry, and timestamps 301 s off", async () => {
    expect((await check(GOOD, { body: new TextEncoder().encode('{"test": 2432232315}') })).ok).toBe(
      false,
    );
    expect((await check(GOOD, { secrets: [`whsec_${btoa("y".repeat(32))}`] })).ok).toBe(false);
    expect((await check("v1,not-base64!")).ok).toBe(false);
    expect((await check(GOOD, { now: (TS + 301) * 1000 })).ok).toBe(false);
    expect((await check(GOOD, { now: (TS - 301) * 1000 })).ok).toBe(false);
    expect((await check(GOOD, { now: (TS + 300) * 1000 })).ok).toBe(true);
  });
});

describe("renderTemplate", () => {
  const payload = { a: { b: [1, { c: "deep" }] }, s: "text", n: null };
  it("fills paths, JSON for objects, empty for missing, and never the prototype", () => {
    expect(
      renderTemplate(
        "{{payload.a.b.1.c}}|{{ payload.s }}|{{payload.a.b}}|{{payload.x.y}}|{{payload.n}}",
        payload,
      ),
    ).toBe('deep|text|[1,{"c":"deep"}]||');
    expect(renderTemplate("{{payload}}", { k: 1 })).toBe('{"k":1}');
    expect(valueAt(payload, "s.constructor")).toBeUndefined();
    expect(renderTemplate("{{payload.__proto__}} {{other.x}}", payload)).toBe(" {{other.x}}");
  });
});
