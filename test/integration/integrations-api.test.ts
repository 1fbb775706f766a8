// The integrations resource: admins write, members read, credentials never come back.
import { describe, expect, it } from "vitest";
import { call, expectProblem, memberKey, newTeam } from "../helpers/api.ts";
import { createWebhookIntegration, INTEGRATIONS } from "../helpers/integrations.ts";

const SECRET = `whsec_${btoa("s".repeat(32))}`;

describe("/api/v1/integrations", () => {
  it("creates a webhook integration with a generated secret shown once, never again", async () => {
    const t = await newTeam();
    const { item, uid, secret } = await createWebhookIntegration(t.key, {
      run_defaults: { model_id: "m-1" },
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(item).toMatchObject({
      type: "webhook",
      enabled: true,
      credentials: { secret: true },
      run_defaults: { model_id: "m-1" },
      inbound_url: `http://ambit.test/api/v1/integrations/${uid}/events`,
      created_by: { type: "user", uid: t.userId },
      updated_by: { type: "user", uid: t.userId },
    });
    const got = await call("GET", `${INTEGRATIONS}/${uid}`, { key: t.key });
    const listed = await call("GET", INTEGRATIONS, { key: t.key });
    for (const text of [got.text, listed.text]) expect(text).not.toContain(secret.slice(6, 30));
    expect(got.json.generated_credentials).toBeUndefined();
    expect(listed.json.integrations.map((i: { uid: string }) => i.uid)).toEqual([uid]);
  });

  it("PATCH changes the fields given; credentials are merged field by field and stay hidden", async () => {
    const t = await newTeam();
    const { uid } = await createWebhookIntegration(t.key, { credentials: { secret: SECRET } });
    const res = await call("PATCH", `${INTEGRATIONS}/${uid}`, {
      key: t.key,
      body: {
        name: "renamed",
        enabled: false,
        credentials: { previous_secret: SECRET },
        prompt_template: "Do {{payload.task}}",
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      name: "renamed",
      enabled: false,
      credentials: { secret: true, previous_secret: true },
      prompt_template: "Do {{payload.task}}",
    });
    expect(res.text).not.toContain(SECRET.slice(6));
    const removed = await call("PATCH", `${INTEGRATIONS}/${uid}`, {
      key: t.key,
      body: { credentials: { previous_secret: null } },
    });
    expect(removed.json.credentials).toEqual({ secret: true });
  });

  it("refuses settings and credentials the kind does not accept, naming the field", async () => {
    const t = await newTeam();
    const bad = await call("POST", INTEGRATIONS, {
      key: t.key,
      body: { type: "webhook", name: "x", settings: { filters: [{ path: "a" }] } },
    });
    expect(expectProblem(bad, 400, "invalid_request").errors[0].path).toMatch(/^settings\.filters/);
    const secret = await call("POST", INTEGRATIONS, {
      key: t.key,
      body: { type: "webhook", name: "x", credentials: { secret: "hunter2" } },
    });
    const problem = expectProblem(secret, 400, "invalid_request");
    expect(problem.errors[0].path).toBe("credentials.secret");
    expect(secret.text).not.toContain("hunter2");
  });

  it("members read, only admins write; a viewer reads nothing", async () => {
    const t = await newTeam();
    const { uid } = await createWebhookIntegration(t.key);
    const member = await memberKey(t.key, "member");
    const viewer = await memberKey(t.key, "viewer");
    const admin = await memberKey(t.key, "admin");
    expect((await call("GET", INTEGRATIONS, { key: member.key })).status).toBe(200);
    expect((await call("GET", `${INTEGRATIONS}/${uid}`, { key: member.key })).status).toBe(200);
    expect(
      (await call("GET", `${INTEGRATIONS}/${uid}/deliveries`, { key: member.key })).status,
    ).toBe(200);
    for (const [method, path, body] of [
      ["POST", INTEGRATIONS, { type: "webhook", name: "m" }],
      ["PATCH", `${INTEGRATIONS}/${uid}`, { name: "m" }],
      ["DELETE", `${INTEGRATIONS}/${uid}`, undefined],
      ["POST", `${INTEGRATIONS}/${uid}/deliveries/x/redeliver`, undefined],
    ] as const)
      expectProblem(await call(method, path, { key: member.key, body }), 403, "not_authorized");
    expectProblem(await call("GET", INTEGRATIONS, { key: viewer.key }), 403, "not_authorized");
    expectProblem(
      await call("GET", `${INTEGRATIONS}/${uid}`, { key: viewer.key }),
      403,
      "not_authorized",
    );
    const patched = await call("PATCH", `${INTEGRATIONS}/${uid}`, {
      key: admin.key,
      body: { name: "by admin" },
    });
    expect(patched.json.updated_by.uid).toBe(admin.userId); // its runs now act as this admin
    expect((await call("DELETE", `${INTEGRATIONS}/${uid}`, { key: admin.key })).json).toEqual({
      uid,
      deleted: true,
    });
    expectProblem(
      await call("GET", `${INTEGRATIONS}/${uid}`, { key: t.key }),
      404,
      "resource_not_found",
    );
  });

  it("another team's integration is not found, for every verb", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const { uid } = await createWebhookIntegration(a.key);
    for (const [method, path] of [
      ["GET", `${INTEGRATIONS}/${uid}`],
      ["PATCH", `${INTEGRATIONS}/${uid}`],
      ["DELETE", `${INTEGRATIONS}/${uid}`],
      ["GET", `${INTEGRATIONS}/${uid}/deliveries`],
      ["POST", `${INTEGRATIONS}/${uid}/deliveries/x/redeliver`],
    ] as const)
      expectProblem(
        await call(method, path, {
          key: b.key,
          body: method === "PATCH" ? { name: "x" } : undefined,
        }),
        404,
        "resource_not_found",
      );
    expect((await call("GET", INTEGRATIONS, { key: b.key })).json.integrations).toEqual([]);
  });

  it("an unknown type is refused naming the types; github is run, its token never shown", async () => {
    const t = await newTeam();
    const res = await call("POST", INTEGRATIONS, {
      key: t.key,
      body: { type: "jira", name: "j" },
    });
    expect(expectProblem(res, 400, "invalid_request").detail).toMatch(
      /github.*webhook.*slack.*linear/,
    );
    const token = "ghp_not-a-real-token-value";
    const gh = await call("POST", INTEGRATIONS, {
      key: t.key,
      body: {
        type: "github",
        name: "gh",
        credentials: { token, webhook_secret: "a-webhook-secret-of-length" },
      },
    });
    expect(gh.status).toBe(201);
    expect(JSON.stringify(gh.json)).not.toContain(token);
    expect(gh.json.credentials).toMatchObject({ token: true, webhook_secret: true });
  });
});
