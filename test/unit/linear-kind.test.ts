// The Linear kind's pure parts in the Workers runtime: the signature and freshness check (signed
// here with node:crypto, independent of the kind's WebCrypto), the GraphQL client's answers to
// Linear's limits (against the in-process fake), and what each run event renders as.
import { createHmac } from "node:crypto";
import type { RunEvent } from "@ambit/protocol";
import { describe, expect, it } from "vitest";
import { linearClient } from "../../src/integrations/linear/graphql.ts";
import { type RenderMemory, renderEvent } from "../../src/integrations/linear/render.ts";
import { verifyLinearDelivery } from "../../src/integrations/linear/verify.ts";
import { VendorRetryError } from "../../src/integrations/vendor-retry.ts";
import { AppError } from "../../src/lib/errors.ts";
import { createFakeLinear } from "../fakes/linear-graphql.ts";

const SECRET = "lin_wh_test_secret";
/** What a promise was rejected with (it must be). */
const rejection = (p: Promise<unknown>): Promise<any> =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e) => e,
  );
const enc = new TextEncoder();
const sign = (body: string, secret = SECRET) =>
  createHmac("sha256", secret).update(body).digest("hex");
const headersOf = (body: string, o: { sig?: string; delivery?: string; ts?: string } = {}) =>
  new Headers({
    "linear-signature": o.sig ?? sign(body),
    "linear-delivery": o.delivery ?? "d-1",
    "linear-event": "Comment",
    ...(o.ts ? { "linear-timestamp": o.ts } : {}),
  });

describe("verifyLinearDelivery", () => {
  // integrations reference §4.1: its own test vector, cross-checked there with Python
  const VECTOR =
    '{"action":"create","type":"Comment","webhookTimestamp":1767225600000,"data":{"id":"c1","body":"@ambit fix it","issueId":"i1"}}';
  const NOW = 1767225600000;

  it("accepts the reference's test vector at its time, naming the delivery and the event", async () => {
    expect(sign(VECTOR)).toBe("fdcb4a332a7eb45616f3291d0637415998d77c4f8ee96ad99139240227265285");
    const v = await verifyLinearDelivery({
      headers: headersOf(VECTOR),
      body: enc.encode(VECTOR),
      secret: SECRET,
      now: NOW + 59_000,
    });
    expect(v).toEqual({ ok: true, deliveryId: "d-1", event: "Comment.create" });
  });

  it("refuses a bad, missing or malformed signature", async () => {
    for (const sig of [sign(VECTOR, "another-secret-entirely"), "", "zz", sign(`${VECTOR} `)]) {
      const v = await verifyLinearDelivery({
        headers: headersOf(VECTOR, { sig }),
        body: enc.encode(VECTOR),
        secret: SECRET,
        now: NOW,
      });
      expect(v, sig).toMatchObject({ ok: false, status: 401 });
    }
  });

  it("refuses a stale (or future) body timestamp, even with a fresh linear-timestamp header", async () => {
    for (const now of [NOW + 61_000, NOW - 61_000]) {
      const v = await verifyLinearDelivery({
        headers: headersOf(VECTOR, { ts: String(now) }),
        body: enc.encode(VECTOR),
        secret: SECRET,
        now,
      });
      expect(v).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/60 s/) });
    }
  });

  it("falls back to the header only when the signed body has no timestamp", async () => {
    const body = '{"type":"Issue","action":"update"}';
    const fresh = await verifyLinearDelivery({
      headers: headersOf(body, { ts: String(NOW) }),
      body: enc.encode(body),
      secret: SECRET,
      now: NOW + 1_000,
    });
    expect(fresh).toMatchObject({ ok: true, event: "Issue.update" });
    const none = await verifyLinearDelivery({
      headers: headersOf(body),
      body: enc.encode(body),
      secret: SECRET,
      now: NOW,
    });
    expect(none).toMatchObject({ ok: false });
  });
});

describe("linearClient", () => {
  const setup = (credentials: { api_key: string } | { access_token: string }) => {
    const fake = createFakeLinear({ apiKey: "lin_api_k", accessToken: "tok" });
    const client = linearClient({
      apiUrl: "https://linear.fake",
      credentials: { ...credentials, webhook_secret: "x".repeat(16) },
      fetch: fake.fetch,
      now: () => 1_000_000,
    });
    return { fake, client };
  };
  const VIEWER = "query { viewer { id } }";

  it("sends a personal key bare and an OAuth token as a bearer", async () => {
    const a = setup({ api_key: "lin_api_k" });
    await a.client.request(VIEWER);
    expect(a.fake.calls[0].authorization).toBe("lin_api_k");
    const b = setup({ access_token: "tok" });
    await b.client.request(VIEWER);
    expect(b.fake.calls[0].authorization).toBe("Bearer tok");
  });

  it("429 with Retry-After is a VendorRetryError with those seconds", async () => {
    const { fake, client } = setup({ api_key: "lin_api_k" });
    fake.fail({ kind: "429", retryAfter: 42 });
    const err = await rejection(client.request(VIEWER));
    expect(err).toBeInstanceOf(VendorRetryError);
    expect(err.retryAfterSeconds).toBe(42);
  });

  it("RATELIMITED (HTTP 200) waits until the bucket's reset; a 5xx is retried too", async () => {
    const { fake, client } = setup({ api_key: "lin_api_k" });
    const realNow = Date.now;
    fake.fail({ kind: "ratelimited", retryAfter: 90 });
    const err = await rejection(client.request(VIEWER));
    expect(err).toBeInstanceOf(VendorRetryError);
    // the fake's reset is its clock + 90 s; ours says 1,000,000 ms: far more than 90 s remain
    expect(err.retryAfterSeconds).toBeGreaterThan(90);
    const c2 = linearClient({
      apiUrl: "https://linear.fake",
      credentials: { api_key: "lin_api_k", webhook_secret: "x".repeat(16) },
      fetch: fake.fetch,
      now: realNow,
    });
    fake.fail({ kind: "ratelimited", retryAfter: 90 });
    const near = await rejection(c2.request(VIEWER));
    expect(near.retryAfterSeconds).toBeGreaterThanOrEqual(89);
    expect(near.retryAfterSeconds).toBeLessThanOrEqual(90);
    fake.fail({ kind: "500" });
    expect(await rejection(client.request(VIEWER))).toBeInstanceOf(VendorRetryError);
  });

  it("a refused key is an AppError (not retried), and so is a GraphQL error", async () => {
    const { client } = setup({ api_key: "wrong" });
    const err = await rejection(client.request(VIEWER));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe("integration_not_configured");
    const ok = setup({ api_key: "lin_api_k" });
    const bad = await rejection(
      ok.client.request("query { issue(id: $id) { id } }", { id: "nope" }),
    );
    expect(bad).toBeInstanceOf(AppError);
    expect(bad.message).toContain("Entity not found");
  });
});

const ev = (seq: number, type: string, payload: Record<string, unknown>): RunEvent => ({
  seq,
  type,
  at: new Date().toISOString(),
  actor: { type: "host", id: "h" },
  execution_id: 1,
  payload,
});

describe("renderEvent", () => {
  const links = { runId: "run-1", runUrl: "https://ambit.test/runs/run-1" };
  const play = (events: RunEvent[], l: Parameters<typeof renderEvent>[2] = links) => {
    let memory: RenderMemory = { calls: {} };
    const out = [];
    for (const e of events) {
      const r = renderEvent(e, memory, l);
      memory = r.memory;
      out.push(...r.activities);
    }
    return out;
  };

  it("a run's life: thought at start, an action per tool result, a response with the PR", () => {
    const out = play(
      [
        ev(1, "run.created", { state: "QUEUED" }),
        ev(2, "run.state_changed", { from: "CLAIMED", to: "INPROGRESS", command: "start" }),
        ev(3, "agent.tool_call", { call_id: "c1", name: "shell", input: { command: "npm test" } }),
        ev(4, "command.output", { stream: "stdout", chunk: "ok" }),
        ev(5, "agent.tool_result", {
          call_id: "c1",
          name: "shell",
          state: "completed",
          output: { exit_code: 0, stdout: "1 passed" },
        }),
        ev(6, "agent.message", { text: "Fixed the flaky test." }),
        ev(7, "run.state_changed", { from: "INPROGRESS", to: "SUCCEEDED", command: "succeed" }),
      ],
      { ...links, pullRequestUrl: "https://github.com/a/b/pull/1" },
    );
    expect(out.map((a) => a.type)).toEqual(["thought", "action", "response"]);
    expect(out[1]).toEqual({
      type: "action",
      action: "shell",
      parameter: "npm test",
      result: "exit 0: 1 passed",
    });
    expect(out[2].type === "response" && out[2].body).toContain("Fixed the flaky test.");
    expect(out[2].type === "response" && out[2].body).toContain(
      "Pull request: https://github.com/a/b/pull/1",
    );
    expect(out[2].type === "response" && out[2].body).toContain(links.runUrl);
  });

  it("BLOCKED asks (elicitation); resuming says nothing; failure and cancel are errors", () => {
    const out = play([
      ev(1, "run.state_changed", {
        from: "INPROGRESS",
        to: "BLOCKED",
        command: "block",
        status_message: { message: "Which branch?" },
      }),
      ev(2, "run.state_changed", { from: "BLOCKED", to: "INPROGRESS", command: "unblock" }),
      ev(3, "agent.tool_result", { call_id: "x", name: "edit", state: "failed", output: {} }),
      ev(4, "run.state_changed", { from: "INPROGRESS", to: "CANCELLED", command: "cancel" }),
    ]);
    expect(out).toEqual([
      { type: "elicitation", body: "Which branch?" },
      { type: "action", action: "edit", parameter: "", result: "failed" },
      { type: "error", body: expect.stringMatching(/^Stopped: \[the run\]\(.*\) was cancelled/) },
    ]);
    const failed = play([
      ev(1, "run.state_changed", {
        from: "INPROGRESS",
        to: "FAILED",
        command: "fail",
        status_message: { message: "tests fail" },
      }),
    ]);
    expect(failed).toEqual([
      { type: "error", body: expect.stringContaining("failed: tests fail") },
    ]);
  });
});
