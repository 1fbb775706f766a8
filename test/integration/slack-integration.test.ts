// The Slack kind in workerd: v0 signatures (signed here with node:crypto, independent of the
// product's WebCrypto check), the inbound URL's generic hooks (challenge, forms, Slack's retries),
// decide (member matching by confirmed email and by link code, the refusal), the thread's
// messages, and the report's one status message, question and final reply, against the fake Web
// API (test/fakes/slack-web-api.ts) as the kind's `fetcher`.
import { createHmac } from "node:crypto";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decideSlack } from "../../src/integrations/slack/decide.ts";
import type { SlackIntegration } from "../../src/integrations/slack/record.ts";
import { reportToSlack } from "../../src/integrations/slack/report.ts";
import { SlackSettings } from "../../src/integrations/slack/settings.ts";
import { slackThread } from "../../src/integrations/slack/thread.ts";
import { saveLinkCode } from "../../src/integrations/user-links.ts";
import { VendorRetryError } from "../../src/integrations/vendor-retry.ts";
import { slackKind } from "../../src/integrations/slack/index.ts";
import { createSlackWebApi } from "../fakes/slack-web-api.ts";
import { call, memberKey, newTeam } from "../helpers/api.ts";
import { deliveriesOf, INTEGRATIONS, processed } from "../helpers/integrations.ts";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const TOKEN = "xoxb-test-token";
const enc = new TextEncoder();

/** Slack's signature, computed independently of the product (node:crypto). */
const sign = (ts: string, body: string, secret = SECRET) =>
  `v0=${createHmac("sha256", secret).update(`v0:${ts}:${body}`).digest("hex")}`;

async function createSlack(key: string, settings: Record<string, unknown> = {}) {
  const res = await call("POST", INTEGRATIONS, {
    key,
    body: {
      type: "slack",
      name: `slack-${crypto.randomUUID().slice(0, 8)}`,
      credentials: { signing_secret: SECRET, bot_token: TOKEN },
      settings,
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.uid as string;
}

function post(
  uid: string,
  body: string,
  o: { form?: boolean; ts?: number; headers?: Record<string, string>; secret?: string } = {},
) {
  const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
  return call("POST", `${INTEGRATIONS}/${uid}/events`, {
    raw: body,
    headers: {
      "content-type": o.form ? "application/x-www-form-urlencoded" : "application/json",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": sign(ts, body, o.secret),
      ...o.headers,
    },
  });
}

const mention = (eventId: string, o: { user?: string; text?: string; thread?: string } = {}) =>
  JSON.stringify({
    type: "event_callback",
    team_id: "T1",
    api_app_id: "A1",
    event_id: eventId,
    authorizations: [{ user_id: "UBOT" }],
    event: {
      type: "app_mention",
      user: o.user ?? "U1",
      text: `<@UBOT> ${o.text ?? "fix the build"}`,
      ts: "1700000001.000100",
      channel: "C1",
      ...(o.thread ? { thread_ts: o.thread } : {}),
    },
  });

describe("Slack: signature and the inbound URL", () => {
  it("verifies Slack's published vector; refuses a timestamp 301 s away either way", async () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const headers = (ts: number) =>
      new Headers({
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": "1531420618",
        "x-slack-signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "x-now": String(ts),
      });
    const at = (s: number) =>
      slackKind.verify({
        headers: headers(s),
        body: enc.encode(body),
        credentials: { signing_secret: SECRET },
        now: s * 1000,
      });
    expect(await at(1531420618)).toEqual({
      ok: true,
      deliveryId: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
      event: "slash_command",
    });
    expect(await at(1531420618 + 301)).toMatchObject({ ok: false, status: 401 });
    expect(await at(1531420618 - 301)).toMatchObject({ ok: false, status: 401 });
    expect(await at(1531420618 + 299)).toMatchObject({ ok: true });
  });

  it("answers url_verification's challenge and records nothing; a bad signature is 401", async () => {
    const t = await newTeam();
    const uid = await createSlack(t.key);
    const body = JSON.stringify({ token: "x", challenge: "c-123", type: "url_verification" });
    const res = await post(uid, body);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ challenge: "c-123" });
    expect(await deliveriesOf(t.key, uid)).toHaveLength(0);
    const forged = await post(uid, body, { secret: "not-the-signing-secret" });
    expect(forged.status).toBe(401);
    expect(forged.text).toBe("");
  });

  it("an event is 202 and recorded once: Slack's retry (same event_id) creates nothing", async () => {
    const t = await newTeam();
    const uid = await createSlack(t.key);
    const first = await post(uid, mention("Ev1"));
    expect(first.status, first.text).toBe(202);
    const again = await post(uid, mention("Ev1"), {
      headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
    });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ duplicate: true, delivery_id: first.json.delivery_id });
    const rows = await deliveriesOf(t.key, uid);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event: "app_mention", delivery_id: "Ev1" });
  });

  it("a slash command (a form) is answered at once with an ephemeral text; help records nothing", async () => {
    const t = await newTeam();
    const uid = await createSlack(t.key);
    const form = (text: string, trigger: string) =>
      new URLSearchParams({
        command: "/ambit",
        text,
        user_id: "U1",
        channel_id: "C1",
        team_id: "T1",
        trigger_id: trigger,
        response_url: "https://hooks.slack.test/x",
      }).toString();
    const run = await post(uid, form("fix the flaky test", "tr-1"), { form: true });
    expect(run.status, run.text).toBe(200);
    expect(run.json).toMatchObject({ response_type: "ephemeral" });
    const help = await post(uid, form("help", "tr-2"), { form: true });
    expect(help.json.text).toContain("/ambit link <code>");
    const rows = await deliveriesOf(t.key, uid);
    expect(rows.map((r) => r.event)).toEqual(["slash_command"]);
    const bad = await post(uid, "payload=%7Bnot-json", { form: true });
    expect(bad.status).toBe(400);
  });
});

describe("Slack: probes and revocations", () => {
  it("ssl_check=1, unsigned, is 200 with an empty body and records nothing", async () => {
    const t = await newTeam();
    const uid = await createSlack(t.key);
    const res = await call("POST", `${INTEGRATIONS}/${uid}/events`, {
      raw: "ssl_check=1&token=legacy-verification-token",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe("");
    expect(await deliveriesOf(t.key, uid)).toHaveLength(0);
    // anything else unsigned is still refused
    const other = await call("POST", `${INTEGRATIONS}/${uid}/events`, {
      raw: "ssl_check=0&command=%2Fambit",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(other.status).toBe(401);
  });

  for (const [name, event] of [
    ["app_uninstalled", { type: "app_uninstalled" }],
    ["tokens_revoked", { type: "tokens_revoked", tokens: { bot: ["UBOT"] } }],
  ] as const)
    it(`${name} disables the integration, with the reason on the delivery`, async () => {
      const t = await newTeam();
      const uid = await createSlack(t.key);
      const body = JSON.stringify({
        type: "event_callback",
        team_id: "T1",
        api_app_id: "A1",
        event_id: `Ev-${name}`,
        event: { ...event, event_ts: "1700000001.000100" },
      });
      const res = await post(uid, body);
      expect(res.status, res.text).toBe(202);
      const done = await processed(t.key, uid, res.json.delivery_id);
      expect(done.outcome).toBe("ignored");
      expect(done.reason).toMatch(/^integration disabled: Slack says the app/);
      const got = await call("GET", `${INTEGRATIONS}/${uid}`, { key: t.key });
      expect(got.json.enabled).toBe(false);
    });

  it("tokens_revoked for user tokens only leaves the integration enabled", async () => {
    const t = await newTeam();
    const uid = await createSlack(t.key);
    const body = JSON.stringify({
      type: "event_callback",
      team_id: "T1",
      event_id: "Ev-user-tokens",
      event: { type: "tokens_revoked", tokens: { oauth: ["U1"] }, event_ts: "1.0" },
    });
    const res = await post(uid, body);
    expect(res.status, res.text).toBe(202);
    expect((await processed(t.key, uid, res.json.delivery_id)).outcome).toBe("ignored");
    const got = await call("GET", `${INTEGRATIONS}/${uid}`, { key: t.key });
    expect(got.json.enabled).toBe(true);
  });
});

function record(teamId: string, settings: Record<string, unknown> = {}): SlackIntegration {
  return {
    id: `int-${crypto.randomUUID()}`,
    teamId,
    type: "slack",
    name: "slack",
    enabled: true,
    credentials: { signing_secret: SECRET, bot_token: TOKEN },
    settings: SlackSettings.parse(settings),
    runDefaults: {},
  };
}

const payloadOf = (body: string) => JSON.parse(body) as unknown;

describe("Slack: decide", () => {
  it("a stranger is told how to get access (ephemeral) and ignored; nothing else is called", async () => {
    const t = await newTeam();
    const slack = createSlackWebApi({
      token: TOKEN,
      users: [{ id: "U9", email: "x@evil.test", confirmed: true }],
    });
    const d = await decideSlack({
      env,
      integration: record(t.teamId),
      delivery: { id: "d1", payload: payloadOf(mention("Ev2", { user: "U9" })) },
      threadHasRun: async () => false,
      fetcher: slack.fetch,
    });
    expect(d).toMatchObject({ kind: "ignore", reason: expect.stringMatching(/^not permitted:/) });
    expect(slack.ephemerals).toHaveLength(1);
    expect(slack.ephemerals[0]).toMatchObject({ channel: "C1", user: "U9" });
    expect(slack.ephemerals[0].text).toContain("ambit integration link slack");
    expect(slack.calls.map((c) => c.method)).toEqual(["users.info", "chat.postEphemeral"]);
  });

  it("an unconfirmed email is not trusted; a confirmed one starts a run with the thread as context", async () => {
    const t = await newTeam();
    const slack = createSlackWebApi({
      token: TOKEN,
      users: [
        { id: "U1", email: t.email.toUpperCase(), confirmed: true },
        { id: "U2", email: t.email, confirmed: false },
      ],
    });
    slack.post({
      channel: "C1",
      ts: "1700000000.000001",
      user: "U3",
      text: "the build is red since #42",
    });
    slack.post({
      channel: "C1",
      thread_ts: "1700000000.000001",
      user: "U1",
      text: "<@UBOT> fix the build",
    });
    const integration = record(t.teamId, { channels: { C1: "env-c1" } });
    const decide = (user: string) =>
      decideSlack({
        env,
        integration,
        delivery: {
          id: "d",
          payload: payloadOf(mention(`Ev-${user}`, { user, thread: "1700000000.000001" })),
        },
        threadHasRun: async () => false,
        fetcher: slack.fetch,
      });
    expect(await decide("U2")).toMatchObject({ kind: "ignore" });
    const d = await decide("U1");
    expect(d).toMatchObject({
      kind: "start_run",
      source: "SLACK",
      actAs: t.userId,
      request: {
        title: "fix the build",
        metadata: { slack_team: "T1", slack_channel: "C1", slack_thread_ts: "1700000000.000001" },
      },
      thread: {
        key: "slack:T1:C1:1700000000.000001",
        url: "https://acme.slack.test/archives/C1/p1700000000000001",
      },
      triggerConfig: { environment_id: "env-c1" },
    });
    if (d.kind !== "start_run") throw new Error("unreachable");
    expect(d.request.prompt).toContain("the build is red since #42");
    expect(slack.callsOf("conversations.replies")[0].args).toMatchObject({
      channel: "C1",
      ts: "1700000000.000001",
    });
  });

  it("a mention in a thread that has a run is a follow-up; our own message is ignored", async () => {
    const t = await newTeam();
    const slack = createSlackWebApi({
      token: TOKEN,
      users: [{ id: "U1", email: t.email, confirmed: true }],
    });
    const decide = (body: string) =>
      decideSlack({
        env,
        integration: record(t.teamId),
        delivery: { id: "d", payload: payloadOf(body) },
        threadHasRun: async (key) => key === "slack:T1:C1:1700000000.000001",
        fetcher: slack.fetch,
      });
    expect(
      await decide(mention("Ev3", { text: "use the blue one", thread: "1700000000.000001" })),
    ).toEqual({
      kind: "followup",
      thread: slackThread("T1", "C1", "1700000000.000001"),
      message: "use the blue one",
      sender: "slack:U1",
      actAs: t.userId,
    });
    expect(await decide(mention("Ev4", { user: "UBOT" }))).toMatchObject({ kind: "ignore" });
  });

  it("/ambit link <code> links the Slack user to the member who minted it, once", async () => {
    const t = await newTeam();
    const slack = createSlackWebApi({ token: TOKEN, users: [{ id: "U7" }] });
    const integration = record(t.teamId);
    await saveLinkCode(
      { env, teamId: t.teamId, integrationId: integration.id },
      "code-123",
      t.userId,
    );
    const command = (text: string, trigger: string) => ({
      type: "slash_command",
      command: "/ambit",
      text,
      user_id: "U7",
      channel_id: "C1",
      team_id: "T1",
      trigger_id: trigger,
    });
    const decide = (payload: unknown) =>
      decideSlack({
        env,
        integration,
        delivery: { id: "d", payload },
        threadHasRun: async () => false,
        fetcher: slack.fetch,
      });
    expect(await decide(command("link code-123", "t1"))).toMatchObject({
      kind: "ignore",
      reason: `linked Slack user U7 to member ${t.userId}`,
    });
    // used once
    expect(await decide(command("link code-123", "t2"))).toMatchObject({
      reason: expect.stringMatching(/^not permitted:/),
    });
    // now U7 (no email at Slack) is the member: a command starts a run in a new thread
    const d = await decide(command("tidy the README", "t3"));
    expect(d).toMatchObject({
      kind: "start_run",
      actAs: t.userId,
      request: { title: "tidy the README" },
    });
    expect(slack.callsOf("chat.postMessage")[0].args.text).toContain(
      "<@U7> asked: tidy the README",
    );
  });

  it("the Cancel button is a cancel as the member who clicked; a stranger's click is refused", async () => {
    const t = await newTeam();
    const slack = createSlackWebApi({
      token: TOKEN,
      users: [{ id: "U1", email: t.email, confirmed: true }],
    });
    const click = (user: string) => ({
      type: "block_actions",
      trigger_id: `tr-${user}`,
      user: { id: user },
      team: { id: "T1" },
      channel: { id: "C1" },
      actions: [{ action_id: "ambit_cancel", value: "1700000000.000001" }],
    });
    const decide = (payload: unknown) =>
      decideSlack({
        env,
        integration: record(t.teamId),
        delivery: { id: "d", payload },
        threadHasRun: async () => true,
        fetcher: slack.fetch,
      });
    expect(await decide(click("U1"))).toMatchObject({
      kind: "cancel",
      actAs: t.userId,
      thread: { key: "slack:T1:C1:1700000000.000001" },
    });
    expect(await decide(click("U5"))).toMatchObject({ kind: "ignore" });
    expect(slack.ephemerals.map((e) => e.user)).toEqual(["U5"]);
  });
});

describe("Slack: link codes (POST /integrations/{uid}/link-codes)", () => {
  it("a member mints a code for themselves that links a Slack user once; a viewer cannot; another team's is 404", async () => {
    const t = await newTeam();
    const uid = await createSlack(t.key);
    const res = await call("POST", `${INTEGRATIONS}/${uid}/link-codes`, { key: t.key });
    expect(res.status, res.text).toBe(201);
    expect(res.json.instructions).toBe(`In Slack, type: /ambit link ${res.json.code}`);
    const viewer = await memberKey(t.key, "viewer");
    const refused = await call("POST", `${INTEGRATIONS}/${uid}/link-codes`, { key: viewer.key });
    expect(refused.status).toBe(403);
    const other = await newTeam();
    expect(
      (await call("POST", `${INTEGRATIONS}/${uid}/link-codes`, { key: other.key })).status,
    ).toBe(404);
    const slack = createSlackWebApi({ token: TOKEN, users: [{ id: "U8" }] });
    const integration = { ...record(t.teamId), id: uid };
    const d = await decideSlack({
      env,
      integration,
      delivery: {
        id: "d",
        payload: {
          type: "slash_command",
          command: "/ambit",
          text: `link ${res.json.code}`,
          user_id: "U8",
          channel_id: "C1",
          team_id: "T1",
          trigger_id: "t-link",
        },
      },
      threadHasRun: async () => false,
      fetcher: slack.fetch,
    });
    expect(d).toMatchObject({ reason: `linked Slack user U8 to member ${t.userId}` });
  });
});

describe("Slack: report", () => {
  const thread = () => slackThread("T1", "C1", "1700000000.000001");
  const event = (type: string, at: number, data: Record<string, unknown>) => ({
    id: `evt_${at}_${type}`,
    team_id: "",
    type: type as "run.created",
    at,
    data: { run_id: "run-x", ...data },
  });

  it("one status message with a Cancel button, edited; the question once; a final reply", async () => {
    const t = await newTeam();
    const slack = createSlackWebApi({ token: TOKEN });
    const integration = record(t.teamId);
    let th = thread();
    const report = async (type: string, at: number, data: Record<string, unknown>) => {
      const out = await reportToSlack({
        env,
        integration,
        thread: th,
        event: { ...event(type, at, data), team_id: t.teamId },
        fetcher: slack.fetch,
      });
      if (out) th = { ...th, state: out.state };
      return out;
    };
    await report("run.created", 1000, { state: "QUEUED", title: "fix the build" });
    const posts = () => slack.callsOf("chat.postMessage");
    expect(posts()).toHaveLength(1);
    expect(posts()[0].args).toMatchObject({ channel: "C1", thread_ts: "1700000000.000001" });
    const blocks = JSON.parse(posts()[0].args.blocks);
    expect(JSON.stringify(blocks)).toContain('"action_id":"ambit_cancel"');
    await report("run.state_changed", 2000, { state: "INPROGRESS" });
    // a repeat and an older event change nothing
    expect(await report("run.state_changed", 2000, { state: "INPROGRESS" })).toBeUndefined();
    expect(await report("run.state_changed", 1500, { state: "CLAIMED" })).toBeUndefined();
    await report("run.state_changed", 3000, {
      state: "BLOCKED",
      status_message: { message: "Which colour?" },
    });
    await report("run.state_changed", 4000, { state: "INPROGRESS" });
    await report("run.completed", 5000, { state: "SUCCEEDED" });
    expect(slack.callsOf("chat.update")).toHaveLength(4);
    const texts = posts().map((c) => c.args.text);
    expect(texts).toHaveLength(3);
    expect(texts[1]).toContain("Which colour?");
    expect(texts[2]).toMatch(/succeeded/);
    // the edited status message lost its Cancel button at the end
    const last = slack.messages.find((m) => m.ts === th.state?.message_ts);
    expect(JSON.stringify(last?.blocks)).not.toContain("ambit_cancel");
  });

  it("a 429 throws VendorRetryError with Slack's Retry-After", async () => {
    const t = await newTeam();
    const slack = createSlackWebApi({ token: TOKEN });
    slack.fail({ method: "chat.postMessage", status: 429, retryAfter: 7 });
    const err = await reportToSlack({
      env,
      integration: record(t.teamId),
      thread: thread(),
      event: { ...event("run.created", 1, { state: "QUEUED" }), team_id: t.teamId },
      fetcher: slack.fetch,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorRetryError);
    expect((err as VendorRetryError).retryAfterSeconds).toBe(7);
  });
});
