// Outbound webhooks' API: admin only, another team's is not found, the secret shown once.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { call, callWithEnv, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { createWebhook, receiverEndpoint, WEBHOOKS } from "../helpers/webhooks.ts";

vi.setConfig({ testTimeout: 30_000 });

const body = (url: string) => ({ url, event_types: ["run.created", "run.completed"] });

describe("webhooks API", () => {
  it("creates with a whsec_ secret shown once, never again, and stored sealed", async () => {
    const t = await newTeam();
    const { url } = await receiverEndpoint();
    const created = await createWebhook(t.key, { ...body(url), description: "ci" });
    expect(created).toMatchObject({
      url,
      event_types: ["run.created", "run.completed"],
      enabled: true,
      disabled_reason: null,
      description: "ci",
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const answers = [
      await call("GET", WEBHOOKS, { key: t.key }),
      await call("GET", `${WEBHOOKS}/${created.uid}`, { key: t.key }),
      await call("PATCH", `${WEBHOOKS}/${created.uid}`, {
        key: t.key,
        body: { event_types: ["run.followup"] },
      }),
      await call("POST", `${WEBHOOKS}/${created.uid}/test`, { key: t.key }),
      await call("GET", `${WEBHOOKS}/${created.uid}/deliveries`, { key: t.key }),
    ];
    for (const a of answers) {
      expect(a.status, a.text).toBeLessThan(300);
      expect(a.text).not.toContain(created.secret);
      expect(a.text).not.toContain("sealed");
    }
    expect(answers[2].json.event_types).toEqual(["run.followup"]);
    const row = await env.DB.prepare("SELECT sealed_secret FROM webhooks WHERE id = ?")
      .bind(created.uid)
      .first<{ sealed_secret: string }>();
    expect(row!.sealed_secret).not.toContain(created.secret.slice(6));
  });

  it("is for admins: members and viewers are refused, admins may", async () => {
    const t = await newTeam();
    const { url } = await receiverEndpoint();
    const hook = await createWebhook(t.key, body(url));
    for (const role of ["member", "viewer"] as const) {
      const { key } = await memberKey(t.key, role);
      expectProblem(await call("GET", WEBHOOKS, { key }), 403, "not_authorized");
      expectProblem(await call("POST", WEBHOOKS, { key, body: body(url) }), 403, "not_authorized");
      expectProblem(await call("GET", `${WEBHOOKS}/${hook.uid}`, { key }), 403, "not_authorized");
      expectProblem(
        await call("GET", `${WEBHOOKS}/${hook.uid}/deliveries`, { key }),
        403,
        "not_authorized",
      );
    }
    const admin = await memberKey(t.key, "admin");
    expect((await call("GET", WEBHOOKS, { key: admin.key })).json.webhooks).toHaveLength(1);
    await createWebhook(admin.key, body(url));
  });

  it("another team's webhook is not found, whatever the route", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const { url } = await receiverEndpoint();
    const hook = await createWebhook(a.key, body(url));
    await call("POST", `${WEBHOOKS}/${hook.uid}/test`, { key: a.key });
    const [delivery] = (await call("GET", `${WEBHOOKS}/${hook.uid}/deliveries`, { key: a.key }))
      .json.deliveries;
    const item = `${WEBHOOKS}/${hook.uid}`;
    for (const [method, path, payload] of [
      ["GET", item],
      ["PATCH", item, { enabled: false }],
      ["DELETE", item],
      ["POST", `${item}/test`],
      ["GET", `${item}/deliveries`],
      ["POST", `${item}/deliveries/${delivery.id}/resend`],
    ] as const) {
      expectProblem(
        await call(method, path, { key: b.key, body: payload }),
        404,
        "resource_not_found",
      );
    }
    expect((await call("GET", WEBHOOKS, { key: b.key })).json.webhooks).toEqual([]);
    expect((await call("GET", item, { key: a.key })).json.enabled).toBe(true);
  });

  it("refuses loopback, private, link-local, metadata and internal destinations unless allowed", async () => {
    const t = await newTeam();
    const strict = { WEBHOOKS_ALLOW_PRIVATE: "false" };
    for (const url of [
      "http://example.com/hook", // https only
      "https://localhost/hook",
      "https://app.localhost/hook",
      "https://127.0.0.1/hook",
      "https://10.1.2.3/hook",
      "https://172.16.0.1/hook",
      "https://192.168.1.1/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/hook",
      "https://0.0.0.0/hook",
      "https://[::1]/hook",
      "https://[::ffff:127.0.0.1]/hook",
      "https://[fd00::1]/hook",
      "https://[fe80::1]/hook",
      "https://metadata.google.internal/computeMetadata",
      "https://printer.local/hook",
      "https://intranet/hook",
      "https://0x7f000001/hook", // the URL parser reads it as 127.0.0.1
      "ftp://example.com/hook",
    ]) {
      const res = await callWithEnv(strict, "POST", WEBHOOKS, { key: t.key, body: body(url) });
      const problem = expectProblem(res, 400, "invalid_request");
      expect(problem.errors?.[0]?.path, url).toBe("url");
    }
    const ok = await callWithEnv(strict, "POST", WEBHOOKS, {
      key: t.key,
      body: body("https://hooks.example.com/ambit"),
    });
    expect(ok.status, ok.text).toBe(201);
    const moved = await callWithEnv(strict, "PATCH", `${WEBHOOKS}/${ok.json.uid}`, {
      key: t.key,
      body: { url: "https://10.0.0.8/hook" },
    });
    expectProblem(moved, 400, "invalid_request");
    // where the platform allows it (local development, these tests), the receiver on 127.0.0.1
    const local = await call("POST", WEBHOOKS, { key: t.key, body: body("http://127.0.0.1:9/h") });
    expect(local.status, local.text).toBe(201);
  });

  it("validates event types and deletes a webhook with its deliveries", async () => {
    const t = await newTeam();
    const { url } = await receiverEndpoint();
    const bad = await call("POST", WEBHOOKS, { key: t.key, body: { url, event_types: ["run.x"] } });
    expectProblem(bad, 400, "invalid_request");
    const none = await call("POST", WEBHOOKS, { key: t.key, body: { url, event_types: [] } });
    expectProblem(none, 400, "invalid_request");
    const hook = await createWebhook(t.key, body(url));
    await call("POST", `${WEBHOOKS}/${hook.uid}/test`, { key: t.key });
    expect((await call("DELETE", `${WEBHOOKS}/${hook.uid}`, { key: t.key })).status).toBe(204);
    expectProblem(
      await call("GET", `${WEBHOOKS}/${hook.uid}`, { key: t.key }),
      404,
      "resource_not_found",
    );
    const left = await env.DB.prepare(
      "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = ?",
    )
      .bind(hook.uid)
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
  });
});
