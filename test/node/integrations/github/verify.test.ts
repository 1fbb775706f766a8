import { sign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { githubKind } from "../../../../src/integrations/github/index.ts";
import type { GitHubCredentials } from "../../../../src/integrations/github/credentials.ts";
import { SECRET } from "./fixtures.ts";

const enc = new TextEncoder();
const creds = (webhook_secret: string): GitHubCredentials => ({ token: "t", webhook_secret });

const verify = (body: string, headers: Record<string, string>, secret = SECRET) =>
  githubKind.verify({
    headers: new Headers(headers),
    body: enc.encode(body),
    credentials: creds(secret),
    now: Date.now(),
  });

const delivery = {
  "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  "x-github-event": "issues",
};

describe("verify (X-Hub-Signature-256)", () => {
  it("accepts GitHub's published test vector", async () => {
    // secret and body from GitHub's docs; the signature as published there (integrations §1.2)
    const sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    const out = await verify(
      "Hello, World!",
      { ...delivery, "x-hub-signature-256": sig },
      "It's a Secret to Everybody",
    );
    expect(out).toEqual({ ok: true, deliveryId: delivery["x-github-delivery"], event: "issues" });
  });

  it("accepts a body signed by @octokit/webhooks-methods, bytes as sent", async () => {
    const body = '{"zen":"Keep it logically awesome.",  "hook_id":1, "u":"\\u00e9"}';
    const out = await verify(body, {
      ...delivery,
      "x-github-event": "ping",
      "x-hub-signature-256": await sign(SECRET, body),
    });
    expect(out).toMatchObject({ ok: true, event: "ping" });
  });

  it("refuses a tampered body", async () => {
    const sig = await sign(SECRET, '{"action":"created"}');
    const out = await verify('{"action":"created" }', { ...delivery, "x-hub-signature-256": sig });
    expect(out).toMatchObject({ ok: false, status: 401 });
  });

  it("refuses a body signed with another secret", async () => {
    const body = '{"action":"created"}';
    const out = await verify(body, {
      ...delivery,
      "x-hub-signature-256": await sign("another-secret-entirely", body),
    });
    expect(out).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringContaining("does not match"),
    });
  });

  it("accepts the previous secret during a rotation, and only then", async () => {
    const body = '{"action":"created"}';
    const headers = {
      ...delivery,
      "x-hub-signature-256": await sign("the-old-secret-value", body),
    };
    const rotating = { ...creds(SECRET), previous_webhook_secret: "the-old-secret-value" };
    const at = (credentials: GitHubCredentials) =>
      githubKind.verify({
        headers: new Headers(headers),
        body: enc.encode(body),
        credentials,
        now: 0,
      });
    expect(await at(rotating)).toMatchObject({ ok: true });
    expect(await at(creds(SECRET))).toMatchObject({ ok: false, status: 401 });
  });

  it("refuses a missing, legacy-only or malformed signature header", async () => {
    const body = '{"action":"created"}';
    expect(await verify(body, delivery)).toMatchObject({ ok: false, status: 401 });
    expect(await verify(body, { ...delivery, "x-hub-signature": "sha1=0000" })).toMatchObject({
      ok: false,
    });
    expect(await verify(body, { ...delivery, "x-hub-signature-256": "sha256=zz" })).toMatchObject({
      ok: false,
    });
    const short = (await sign(SECRET, body)).slice(0, -2);
    expect(await verify(body, { ...delivery, "x-hub-signature-256": short })).toMatchObject({
      ok: false,
    });
  });

  it("refuses a signed delivery without its delivery id or event", async () => {
    const body = "{}";
    const sig = await sign(SECRET, body);
    const out = await verify(body, { "x-github-event": "issues", "x-hub-signature-256": sig });
    expect(out).toMatchObject({ ok: false, status: 401 });
  });
});
