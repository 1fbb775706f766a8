// The Linear kind against real D1, Durable Objects and queues, with Linear's GraphQL API faked in
// process (test/fakes/linear-graphql.ts): decide (who may start, what a run gets), report (a run's
// log mirrored as agent activities, in order, once, through Linear's limits), and the inbound URL
// (signed with node:crypto, independent of the kind; deduplicated by Linear-Delivery).
import { createHmac } from "node:crypto";
import type { PlatformEventMessage } from "@ambit/protocol";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { createDb } from "../../src/db/client.ts";
import { runs } from "../../src/db/schema.ts";
import { getConfig } from "../../src/env.ts";
import { decideLinear } from "../../src/integrations/linear/decide.ts";
import { linearClient } from "../../src/integrations/linear/graphql.ts";
import type { LinearIntegration } from "../../src/integrations/linear/record.ts";
import { reportToLinear } from "../../src/integrations/linear/report.ts";
import { LinearSettings } from "../../src/integrations/linear/settings.ts";
import { upsertThread } from "../../src/integrations/threads.ts";
import { VendorRetryError } from "../../src/integrations/vendor-retry.ts";
import { call, memberKey, newTeam } from "../helpers/api.ts";
import {
  INTEGRATIONS,
  deliveriesOf,
  processed,
  runsOfIntegration,
} from "../helpers/integrations.ts";
import { advance, createRun, hostAppend } from "../helpers/runs.ts";
import { createFakeLinear, type FakeLinear } from "../fakes/linear-graphql.ts";

vi.setConfig({ testTimeout: 30_000 });
afterEach(() => vi.unstubAllGlobals());

const API_KEY = "lin_api_test_key";
const SECRET = "linear-webhook-secret-for-tests";
const ISSUE = {
  id: "i-1",
  identifier: "ENG-7",
  title: "Login test is flaky",
  description: "It fails one time in ten.",
  url: "https://linear.app/acme/issue/ENG-7/login-test-is-flaky",
  team: { id: "t-eng", key: "ENG" },
  project: null,
  labels: ["bug", "ci"],
  comments: [{ body: "Seen again on main.", user: "Ann" }],
};

function integrationOf(teamId: string, settings: Record<string, unknown> = {}): LinearIntegration {
  return {
    id: `int-${crypto.randomUUID()}`,
    teamId,
    type: "linear",
    name: "acme",
    enabled: true,
    credentials: { api_key: API_KEY, webhook_secret: SECRET },
    settings: LinearSettings.parse(settings),
    runDefaults: {},
    promptTemplate: null,
  };
}

const clientOf = (fake: FakeLinear) =>
  linearClient({
    apiUrl: "https://linear.fake",
    credentials: { api_key: API_KEY, webhook_secret: SECRET },
    fetch: fake.fetch,
  });

function sessionEvent(o: {
  action: "created" | "prompted";
  session?: string;
  creator?: { id: string; email?: string | null };
  prompt?: { userId: string; body?: string; signal?: string; email?: string };
  teamKey?: string;
}) {
  return {
    type: "AgentSessionEvent",
    action: o.action,
    organizationId: "o-1",
    appUserId: "u-app",
    webhookTimestamp: Date.now(),
    agentSession: {
      id: o.session ?? "s-1",
      url: "https://linear.app/acme/issue/ENG-7#agent-session-s-1",
      issueId: ISSUE.id,
      issue: {
        id: ISSUE.id,
        identifier: ISSUE.identifier,
        title: ISSUE.title,
        url: ISSUE.url,
        teamId: "t-eng",
        team: { id: "t-eng", key: o.teamKey ?? "ENG" },
      },
      comment: { id: "c-root", body: "@ambit please fix this" },
      creatorId: o.creator?.id,
      creator: o.creator ? { id: o.creator.id, name: "Someone", email: o.creator.email } : null,
    },
    ...(o.prompt
      ? {
          agentActivity: {
            userId: o.prompt.userId,
            ...(o.prompt.email ? { user: { id: o.prompt.userId, email: o.prompt.email } } : {}),
            signal: o.prompt.signal ?? null,
            content: { type: "prompt", body: o.prompt.body ?? "" },
          },
        }
      : {}),
    promptContext: '<issue identifier="ENG-7">…</issue>',
  };
}

const delivery = (payload: unknown, event = "AgentSessionEvent.created") => ({
  id: crypto.randomUUID(),
  senderId: crypto.randomUUID(),
  event,
  payload,
  receivedAt: Date.now(),
});

describe("decideLinear", () => {
  it("a member's new session: a thought first, then a LINEAR run with the issue as context", async () => {
    const t = await newTeam();
    const m = await memberKey(t.key, "member");
    const fake = createFakeLinear({ apiKey: API_KEY });
    fake.addIssue(ISSUE);
    const integration = integrationOf(t.teamId, {
      teams: { ENG: "env_eng" },
      default_environment: "env_default",
    });
    const d = delivery(
      sessionEvent({ action: "created", creator: { id: "lu-1", email: m.email } }),
    );
    const decision = await decideLinear({ env, integration, delivery: d, client: clientOf(fake) });

    expect(fake.calls.map((c) => c.operation)).toEqual(["agentActivityCreate", "issue"]);
    expect(fake.activities[0]).toMatchObject({
      agentSessionId: "s-1",
      content: { type: "thought" },
    });
    if (decision.kind !== "start_run") throw new Error(JSON.stringify(decision));
    expect(decision.source).toBe("LINEAR");
    expect(decision.thread).toMatchObject({ key: "linear:s-1", url: ISSUE.url });
    expect(decision.request.title).toBe("ENG-7: Login test is flaky");
    for (const part of [
      "please fix this",
      "It fails one time in ten.",
      "bug, ci",
      "Ann: Seen again",
    ])
      expect(decision.request.prompt).toContain(part);
    expect(decision.request.metadata).toMatchObject({
      ticket_id: "ENG-7",
      ticket_source: "linear",
      linear_session: "s-1",
      linear_delivery: d.senderId,
    });
    expect(decision.triggerConfig).toMatchObject({ environment_id: "env_eng" });
    expect(decision.artifacts).toEqual([
      {
        artifact_type: "EXTERNAL_REFERENCE",
        data: expect.objectContaining({ reference_type: "linear_issue", url: ISSUE.url }),
      },
    ]);
  });

  it("a Linear user who is no member (or a viewer) is told how to get access, and refused", async () => {
    const t = await newTeam();
    const v = await memberKey(t.key, "viewer");
    for (const email of ["stranger@example.com", v.email]) {
      const fake = createFakeLinear({ apiKey: API_KEY });
      const decision = await decideLinear({
        env,
        integration: integrationOf(t.teamId),
        delivery: delivery(sessionEvent({ action: "created", creator: { id: "lu-x", email } })),
        client: clientOf(fake),
      });
      expect(decision).toMatchObject({
        kind: "ignore",
        reason: expect.stringMatching(/^not permitted:/),
      });
      expect(fake.activities).toHaveLength(1);
      expect(fake.activities[0].content).toMatchObject({
        type: "error",
        body: expect.stringContaining("ambit member add"),
      });
    }
  });

  it("an email Linear left out of the payload is asked for; a stranger's prompt is refused", async () => {
    const t = await newTeam();
    const fake = createFakeLinear({ apiKey: API_KEY });
    fake.addIssue(ISSUE);
    fake.addUser({ id: "lu-2", name: "Owner", email: t.email.toUpperCase() });
    const started = await decideLinear({
      env,
      integration: integrationOf(t.teamId),
      delivery: delivery(sessionEvent({ action: "created", creator: { id: "lu-2" } })),
      client: clientOf(fake),
    });
    expect(started.kind).toBe("start_run");
    expect(fake.calls[0]).toMatchObject({ operation: "user", variables: { id: "lu-2" } });
    const refused = await decideLinear({
      env,
      integration: integrationOf(t.teamId),
      delivery: delivery(
        sessionEvent({
          action: "prompted",
          prompt: { userId: "lu-9", body: "rm -rf /", email: "x@y.z" },
        }),
        "AgentSessionEvent.prompted",
      ),
      client: clientOf(fake),
    });
    expect(refused).toMatchObject({
      kind: "ignore",
      reason: expect.stringMatching(/^not permitted/),
    });
  });

  it("prompted is a follow-up on the session's thread; with the stop signal, a cancel", async () => {
    const t = await newTeam();
    const fake = createFakeLinear({ apiKey: API_KEY });
    const decide = (prompt: { userId: string; body?: string; signal?: string; email?: string }) =>
      decideLinear({
        env,
        integration: integrationOf(t.teamId),
        delivery: delivery(
          sessionEvent({ action: "prompted", prompt }),
          "AgentSessionEvent.prompted",
        ),
        client: clientOf(fake),
      });
    expect(
      await decide({ userId: "lu-1", body: "also fix the other test", email: t.email }),
    ).toEqual({
      kind: "followup",
      thread: { key: "linear:s-1" },
      message: "also fix the other test",
      sender: "linear:lu-1",
    });
    // a stop cancels as the member behind the Linear user (their right to steer the run applies)
    expect(await decide({ userId: "lu-1", signal: "stop", email: t.email })).toMatchObject({
      kind: "cancel",
      thread: { key: "linear:s-1" },
      actAs: t.userId,
    });
    expect(fake.activities).toHaveLength(0);
  });

  it("Linear rate-limiting the issue read delays no run: the payload's fields are used", async () => {
    const t = await newTeam();
    const fake = createFakeLinear({ apiKey: API_KEY });
    fake.fail({ operation: "issue", kind: "ratelimited" });
    const decision = await decideLinear({
      env,
      integration: integrationOf(t.teamId),
      delivery: delivery(
        sessionEvent({ action: "created", creator: { id: "lu-1", email: t.email } }),
      ),
      client: clientOf(fake),
    });
    if (decision.kind !== "start_run") throw new Error(JSON.stringify(decision));
    expect(decision.request.title).toBe("ENG-7: Login test is flaky");
    expect(decision.thread.url).toBe(ISSUE.url);
  });

  it("other events and other teams start nothing", async () => {
    const t = await newTeam();
    const fake = createFakeLinear({ apiKey: API_KEY });
    const issue = await decideLinear({
      env,
      integration: integrationOf(t.teamId),
      delivery: delivery({ type: "Issue", action: "update", data: {} }, "Issue.update"),
      client: clientOf(fake),
    });
    expect(issue).toMatchObject({
      kind: "ignore",
      reason: expect.stringMatching(/^unknown event/),
    });
    const other = await decideLinear({
      env,
      integration: integrationOf(t.teamId, { only_teams: ["OPS"] }),
      delivery: delivery(
        sessionEvent({ action: "created", creator: { id: "lu-1", email: t.email } }),
      ),
      client: clientOf(fake),
    });
    expect(other).toMatchObject({ kind: "ignore", reason: expect.stringMatching(/^filter:/) });
    expect(fake.calls).toHaveLength(0);
  });
});

/** A run of the team with a Linear session thread pointing at it, the way processDelivery writes it. */
async function runWithSession(sessionId = `s-${crypto.randomUUID()}`) {
  const t = await newTeam();
  const runId = await createRun(t.key);
  const integration = integrationOf(t.teamId);
  const thread = {
    key: `linear:${sessionId}`,
    url: ISSUE.url,
    state: { session_id: sessionId, seq: 0 },
  };
  await upsertThread(createDb(env.DB), {
    teamId: t.teamId,
    integrationId: integration.id,
    runId,
    thread,
    now: Date.now(),
  });
  const ref = { runId, teamId: t.teamId };
  const event = (
    type: PlatformEventMessage["type"] = "run.state_changed",
  ): PlatformEventMessage => ({
    id: `evt_${crypto.randomUUID()}`,
    team_id: t.teamId,
    type,
    at: Date.now(),
    data: { run_id: runId },
  });
  /** one report of a platform event of the run, posting to `fake` */
  const report = (fake: FakeLinear) =>
    reportToLinear({ env, integration, thread, event: event(), client: clientOf(fake) });
  return { t, runId, ref, integration, thread, sessionId, event, report };
}

async function playRun(ref: { runId: string; teamId: string }) {
  await advance(ref, "dispatch", "claim", "start");
  await hostAppend(ref, [
    {
      host_seq: 1,
      type: "agent.tool_call",
      payload: { call_id: "c1", name: "shell", input: { command: "npm test" } },
    },
    {
      host_seq: 2,
      type: "agent.tool_result",
      payload: { call_id: "c1", name: "shell", state: "completed", output: { stdout: "1 passed" } },
    },
    { host_seq: 3, type: "agent.message", payload: { text: "Fixed it." } },
  ]);
  await advance(ref, "succeed");
}

describe("reportToLinear", () => {
  it("mirrors the run's log in order, once: thought, action, response", async () => {
    const r = await runWithSession();
    const fake = createFakeLinear({ apiKey: API_KEY });
    await playRun(r.ref);
    const report = () => r.report(fake);
    await report();
    const types = fake.activitiesOf(r.sessionId).map((a) => a.content.type);
    expect(types).toEqual(["thought", "action", "response"]);
    expect(fake.activitiesOf(r.sessionId)[1].content).toMatchObject({
      action: "shell",
      parameter: "npm test",
      result: "1 passed",
    });
    expect(fake.activitiesOf(r.sessionId)[2].content.body).toContain("Fixed it.");
    // later events of the same run (the queue redelivers, or another event) post nothing again
    await report();
    await report();
    expect(fake.activitiesOf(r.sessionId)).toHaveLength(3);
  });

  it("Linear's 429 mid-way throws VendorRetryError; the retry posts the rest, nothing twice", async () => {
    const r = await runWithSession();
    const fake = createFakeLinear({ apiKey: API_KEY });
    await playRun(r.ref);
    fake.fail({ operation: "agentActivityCreate", kind: "429", retryAfter: 7, times: 1 });
    fake.activities.length = 0;
    const report = () => r.report(fake);
    const err = await report().catch((e) => e);
    expect(err).toBeInstanceOf(VendorRetryError);
    expect(err.retryAfterSeconds).toBe(7);
    expect(fake.activitiesOf(r.sessionId)).toHaveLength(0);
    fake.fail({ operation: "agentActivityCreate", kind: "ratelimited", after: 1 });
    // the first activity goes through, the second is refused: the cursor stays after the first
    const again = await report().catch((e) => e);
    expect(again).toBeInstanceOf(VendorRetryError);
    expect(fake.activitiesOf(r.sessionId).map((a) => a.content.type)).toEqual(["thought"]);
    await report();
    expect(fake.activitiesOf(r.sessionId).map((a) => a.content.type)).toEqual([
      "thought",
      "action",
      "response",
    ]);
  });

  it("reports of one session at once never post an activity twice or out of order", async () => {
    const r = await runWithSession();
    const fake = createFakeLinear({ apiKey: API_KEY, delayMs: 50 });
    await playRun(r.ref);
    const report = () =>
      r
        .report(fake)
        .then(() => "done")
        .catch((e) => (e instanceof VendorRetryError ? "busy" : Promise.reject(e)));
    // the second starts while the first is posting (each answer takes 50 ms), the third at once
    const first = report();
    await new Promise((r) => setTimeout(r, 80));
    const outcomes = await Promise.all([first, report(), report()]);
    expect(outcomes).toContain("done");
    // a busy report is retried (report.ts); once it is, nothing is left to post
    await report();
    expect(fake.activitiesOf(r.sessionId).map((a) => a.content.type)).toEqual([
      "thought",
      "action",
      "response",
    ]);
  });
});

describe("a Linear run's tool calls, as they happen", () => {
  it("an action activity is posted before the run's next state change (the real EVENTS queue)", async () => {
    const t = await newTeam();
    const res = await call("POST", INTEGRATIONS, {
      key: t.key,
      body: {
        type: "linear",
        name: "linear",
        credentials: { api_key: API_KEY, webhook_secret: SECRET },
      },
    });
    expect(res.status, res.text).toBe(201);
    const integrationId = res.json.uid as string;
    const fake = createFakeLinear({ apiKey: API_KEY });
    const linearUrl = new URL(getConfig(env).LINEAR_API_URL).origin;
    const real = globalThis.fetch;
    vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) =>
      new Request(input, init).url.startsWith(linearUrl)
        ? fake.fetch(input, init)
        : real(input, init),
    );
    // a run as a Linear delivery makes it: source LINEAR, its thread the agent session
    const runId = await createRun(t.key);
    await createDb(env.DB).update(runs).set({ source: "LINEAR" }).where(eq(runs.id, runId));
    const sessionId = `s-${crypto.randomUUID()}`;
    await upsertThread(createDb(env.DB), {
      teamId: t.teamId,
      integrationId,
      runId,
      thread: {
        key: `linear:${sessionId}`,
        url: ISSUE.url,
        state: { session_id: sessionId, seq: 0 },
      },
      now: Date.now(),
    });
    const ref = { runId, teamId: t.teamId };
    const types = () => fake.activitiesOf(sessionId).map((a) => a.content.type);
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 100));
      return pred();
    };
    await advance(ref, "dispatch", "claim", "start");
    expect(await until(() => types().includes("thought"))).toBe(true);
    await hostAppend(ref, [
      {
        host_seq: 1,
        type: "agent.tool_call",
        payload: { call_id: "c1", name: "shell", input: { command: "npm test" } },
      },
      {
        host_seq: 2,
        type: "agent.tool_result",
        payload: {
          call_id: "c1",
          name: "shell",
          state: "completed",
          output: { stdout: "1 passed" },
        },
      },
    ]);
    // no state change follows: the tool's action comes on its own
    expect(await until(() => types().includes("action")), JSON.stringify(types())).toBe(true);
    expect(fake.activitiesOf(sessionId).at(-1)?.content).toMatchObject({
      type: "action",
      action: "shell",
      parameter: "npm test",
      result: "1 passed",
    });
    await advance(ref, "succeed");
    expect(await until(() => types().includes("response"))).toBe(true);
    expect(types()).toEqual(["thought", "action", "response"]);
  });
});

/** POSTs a body to the inbound URL as Linear does, signed with node:crypto. */
async function deliverLinear(
  uid: string,
  payload: unknown,
  o: { delivery?: string; secret?: string } = {},
) {
  const raw = JSON.stringify(payload);
  const deliveryId = o.delivery ?? crypto.randomUUID();
  const res = await call("POST", `${INTEGRATIONS}/${uid}/events`, {
    raw,
    headers: {
      "content-type": "application/json",
      "linear-delivery": deliveryId,
      "linear-event": "AgentSessionEvent",
      "linear-signature": createHmac("sha256", o.secret ?? SECRET)
        .update(raw)
        .digest("hex"),
    },
  });
  return { ...res, deliveryId };
}

describe("the Linear inbound URL", () => {
  async function linearIntegration(key: string, settings: Record<string, unknown> = {}) {
    const res = await call("POST", INTEGRATIONS, {
      key,
      body: {
        type: "linear",
        name: "linear",
        credentials: { api_key: API_KEY, webhook_secret: SECRET },
        settings,
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(JSON.stringify(res.json)).not.toContain(API_KEY);
    return res.json.uid as string;
  }

  it("a signed delivery is 202 and decided; the same Linear-Delivery again is 200 and nothing more", async () => {
    const t = await newTeam();
    // a team it does not act on: decided without a call to Linear
    const uid = await linearIntegration(t.key, { only_teams: ["OPS"] });
    const payload = sessionEvent({ action: "created", creator: { id: "lu-1", email: t.email } });
    const first = await deliverLinear(uid, payload);
    expect(first.status, first.text).toBe(202);
    const row = await processed(t.key, uid, first.json.delivery_id);
    expect(row).toMatchObject({ outcome: "ignored", event: "AgentSessionEvent.created" });
    const again = await deliverLinear(uid, payload, { delivery: first.deliveryId });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ delivery_id: first.json.delivery_id, duplicate: true });
    expect(await deliveriesOf(t.key, uid)).toHaveLength(1);
    expect(await runsOfIntegration(uid)).toHaveLength(0);
  });

  it("a bad signature or a stale webhookTimestamp is 401 with an empty body, recorded rejected", async () => {
    const t = await newTeam();
    const uid = await linearIntegration(t.key);
    const payload = sessionEvent({ action: "created", creator: { id: "lu-1", email: t.email } });
    const forged = await deliverLinear(uid, payload, { secret: "not-the-secret-at-all" });
    expect(forged.status).toBe(401);
    expect(forged.text).toBe("");
    const stale = await deliverLinear(uid, { ...payload, webhookTimestamp: Date.now() - 61_000 });
    expect(stale.status).toBe(401);
    const rows = await deliveriesOf(t.key, uid);
    expect(rows.map((d) => d.outcome)).toEqual(["rejected", "rejected"]);
    expect(rows.every((d) => d.delivery_id === null)).toBe(true);
  });
});
