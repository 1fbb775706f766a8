// The Slack integration end to end: a real `wrangler dev` (its INTEGRATIONS and EVENTS queues)
// with SLACK_API_URL at a fake Slack Web API (test/fakes/slack-web-api.ts) that records every
// call, a host runner with the built-in harness whose model is the scripted model server (the
// mention's text is what the agent does: test/fakes/scripted-agent.ts), and a local git server the
// run pushes and opens its pull request on (integration-setup.ts). Slack's requests are signed
// here with node:crypto, independently of the product's check.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeSlackWebApi } from "../fakes/slack-web-api.ts";
import { api, waitFor } from "./helpers.ts";
import { type IntegrationE2e, PUBLIC_URL, startIntegrationE2e } from "./integration-setup.ts";
import { eventsOf, payloadsOf, untilEnded, untilRun } from "./runner-setup.ts";

const PAT = "ghp_fake_slack_e2e_token";
const SIGNING_SECRET = "a-slack-signing-secret-for-e2e";
const BOT_TOKEN = "xoxb-e2e-bot-token";
const REPO = "acme/gadgets";

type FakeSlack = Awaited<ReturnType<typeof startFakeSlackWebApi>>;
let e: IntegrationE2e<FakeSlack>;
let s: IntegrationE2e<FakeSlack>["s"];
let git: IntegrationE2e<FakeSlack>["git"];
let slack: FakeSlack;
let uid: string;

beforeAll(async () => {
  e = await startIntegrationE2e({
    name: "e2e-slack-integration",
    repo: REPO,
    githubToken: PAT,
    vendor: () => startFakeSlackWebApi({ token: BOT_TOKEN, botUserId: "UBOT" }),
    vars: (fake) => ({ SLACK_API_URL: fake.url }),
    integration: ({ envId }) => ({
      type: "slack",
      name: "acme-slack",
      credentials: { signing_secret: SIGNING_SECRET, bot_token: BOT_TOKEN },
      settings: { channels: { C1: envId }, bot_user_id: "UBOT" },
      // the mention's text is what the scripted agent does
      prompt_template: "{{request}}",
    }),
  });
  ({ s, git, vendor: slack } = e);
  uid = e.integration.uid;
  slack.users.set("U1", { id: "U1", email: s.owner.email, confirmed: true });
  slack.users.set("U9", { id: "U9", email: "stranger@elsewhere.test", confirmed: true });
}, 240_000);

afterAll(() => e?.stop());

/** POSTs a body as Slack does: signed over `v0:<ts>:<body>` with the signing secret. */
async function send(body: string, o: { form?: boolean; headers?: Record<string, string> } = {}) {
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac("sha256", SIGNING_SECRET).update(`v0:${ts}:${body}`).digest("hex");
  const res = await fetch(`${s.url}/api/v1/integrations/${uid}/events`, {
    method: "POST",
    headers: {
      "content-type": o.form ? "application/x-www-form-urlencoded" : "application/json",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": `v0=${sig}`,
      ...o.headers,
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

let events = 0;
/** A person's message in channel C1 (a thread's parent, or a reply in `thread`). */
const say = (user: string, text: string, thread?: string) =>
  slack.post({ channel: "C1", user, text, ...(thread ? { thread_ts: thread } : {}) });

/** The app_mention event of a message `m` (what Slack posts for it). */
function mentionOf(m: { ts: string; user?: string; text?: string; thread_ts?: string }) {
  const eventId = `Ev${++events}`;
  const body = JSON.stringify({
    type: "event_callback",
    team_id: "T1",
    api_app_id: "A1",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ user_id: "UBOT", is_bot: true }],
    event: { type: "app_mention", channel: "C1", ...m },
  });
  return { eventId, body };
}

const click = (user: string, threadTs: string) =>
  `payload=${encodeURIComponent(
    JSON.stringify({
      type: "block_actions",
      trigger_id: `tr-${user}-${Date.now()}`,
      user: { id: user },
      team: { id: "T1" },
      channel: { id: "C1" },
      actions: [{ action_id: "ambit_cancel", value: threadTs, type: "button" }],
    }),
  )}`;

const deliveries = () => e.deliveries();
const processed = (senderId: string) => e.processed(senderId);

const inThread = (threadTs: string) =>
  slack.messages.filter((m) => m.thread_ts === threadTs && m.user === "UBOT");

describe("the Slack integration end to end", () => {
  it("a mention in a thread starts a run; the thread gets one status message, its edits, and the final reply with the PR", async () => {
    const parent = say("U3", "the README of gadgets is missing a line");
    const m = say("U1", "<@UBOT> echo polished >> gadgets/README.md\n#say Polished.", parent.ts);
    const sent = mentionOf(m);
    const answer = await send(sent.body);
    expect(answer.status, answer.text).toBe(202);
    const row = await processed(sent.eventId);
    expect(row).toMatchObject({ outcome: "run_created", event: "app_mention" });
    const runId = row.run_id as string;
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    expect(run.source).toBe("SLACK");
    expect(run.trigger_url).toBe(
      `https://acme.slack.test/archives/C1/p${parent.ts.replace(".", "")}`,
    );
    expect(run.metadata).toMatchObject({ slack_channel: "C1", slack_thread_ts: parent.ts });
    expect(slack.callsOf("conversations.replies").some((c) => c.args.ts === parent.ts)).toBe(true);
    // the built-in harness ran the scripted model's tool call
    const calls = payloadsOf(await eventsOf(s, runId), "agent.tool_call");
    expect(calls.map((c) => c.name)).toContain("run_shell_command");
    const prUrl = `${git.url}/${REPO}/pull/1`;
    // the EVENTS queue trails the run: the final reply comes after it ended
    const done = await waitFor(
      () => inThread(parent.ts).some((x) => x.text?.includes("Pull request:")),
      30_000,
      200,
    );
    const replies = inThread(parent.ts);
    expect(done, JSON.stringify(replies)).toBe(true);
    expect(replies).toHaveLength(2); // the status message and the final reply, no flood
    const [status, final] = replies;
    expect(JSON.stringify(status.blocks)).toContain(`${PUBLIC_URL}/runs/${runId}`);
    expect(status.text).toMatch(/succeeded/);
    expect(final.text).toContain(`Pull request: ${prUrl}`);
    const edits = slack.callsOf("chat.update").filter((c) => c.args.ts === status.ts);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    // the start reply had the Cancel button
    const started = slack.callsOf("chat.postMessage").find((c) => c.args.thread_ts === parent.ts);
    expect(started?.args.blocks).toContain("ambit_cancel");
  }, 120_000);

  it("a BLOCKED run's question is posted in the thread and a reply mentioning the app answers it", async () => {
    const parent = say("U1", '<@UBOT> #ask Which colour?\necho "$ANSWER" > gadgets/colour.md');
    const sent = mentionOf(parent);
    expect((await send(sent.body)).status).toBe(202);
    const runId = (await processed(sent.eventId)).run_id as string;
    await untilRun(s, runId, (r) => r.state === "BLOCKED", 30_000);
    expect(
      await waitFor(
        () => inThread(parent.ts).some((x) => x.text?.includes("Which colour?")),
        20_000,
        200,
      ),
    ).toBe(true);
    const reply = say("U1", "<@UBOT> blue", parent.ts);
    const answered = mentionOf(reply);
    expect((await send(answered.body)).status).toBe(202);
    expect(await processed(answered.eventId)).toMatchObject({
      outcome: "followup_sent",
      run_id: runId,
    });
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    const said = payloadsOf(await eventsOf(s, runId), "agent.message").map((p) => p.text);
    expect(said).toContain("answer: blue");
  }, 120_000);

  it("the Cancel button: a stranger's click is refused (ephemeral, ignored); the member's cancels", async () => {
    const parent = say("U1", "<@UBOT> sleep 60");
    const sent = mentionOf(parent);
    expect((await send(sent.body)).status).toBe(202);
    const runId = (await processed(sent.eventId)).run_id as string;
    await untilRun(s, runId, (r) => r.state === "INPROGRESS", 30_000);
    const before = slack.ephemerals.length;
    const refused = await send(click("U9", parent.ts), { form: true });
    expect(refused.status, refused.text).toBe(200);
    expect(await waitFor(() => slack.ephemerals.length > before, 20_000, 200)).toBe(true);
    expect(slack.ephemerals.at(-1)).toMatchObject({ user: "U9", channel: "C1" });
    const ignored = (await deliveries()).find(
      (d) => d.event === "block_actions" && d.outcome === "ignored",
    );
    expect(ignored?.reason).toMatch(/^not permitted:/);
    expect(await send(click("U1", parent.ts), { form: true })).toMatchObject({ status: 200 });
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state).toBe("CANCELLED");
    const cancelled = (await deliveries()).find((d) => d.outcome === "run_cancelled");
    expect(cancelled).toMatchObject({ run_id: runId, event: "block_actions" });
  }, 120_000);

  it("a non-member's mention is refused (ephemeral) and recorded ignored; Slack's retry creates nothing", async () => {
    const runs = async () => (await e.runs()).length;
    const count = await runs();
    const m = say("U9", "<@UBOT> rm -rf /");
    const sent = mentionOf(m);
    expect((await send(sent.body)).status).toBe(202);
    const row = await processed(sent.eventId);
    expect(row).toMatchObject({ outcome: "ignored", run_id: null });
    expect(row.reason).toMatch(/^not permitted:/);
    expect(slack.ephemerals.at(-1)).toMatchObject({ user: "U9" });
    expect(slack.ephemerals.at(-1)?.text).toContain("ambit integration link slack");
    // Slack's retry of the same event: 200, no new delivery, no run
    const again = await send(sent.body, {
      headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" },
    });
    expect(again.status).toBe(200);
    expect(JSON.parse(again.text)).toMatchObject({ duplicate: true });
    expect((await deliveries()).filter((d) => d.delivery_id === sent.eventId)).toHaveLength(1);
    expect(await runs()).toBe(count);
  }, 60_000);

  it("a 429 from Slack: the start reply is retried after Retry-After and arrives once", async () => {
    const parent = say("U1", "<@UBOT> #say rate limited");
    slack.fail({
      method: "chat.postMessage",
      status: 429,
      retryAfter: 2,
      where: { thread_ts: parent.ts },
    });
    const sent = mentionOf(parent);
    expect((await send(sent.body)).status).toBe(202);
    const runId = (await processed(sent.eventId)).run_id as string;
    await untilEnded(s, runId, 60_000);
    await waitFor(() => inThread(parent.ts).length >= 2, 30_000, 200);
    const posts = slack.callsOf("chat.postMessage").filter((c) => c.args.thread_ts === parent.ts);
    // the first try was answered 429; the next came after Retry-After, from the queue
    expect(posts[0].status).toBe(429);
    expect(posts[1].status).toBeUndefined();
    expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(2_000);
    // one status message and one final reply: the retry posted nothing twice
    expect(inThread(parent.ts)).toHaveLength(2);
    expect(JSON.stringify(inThread(parent.ts)[0].blocks)).toContain(runId);
  }, 120_000);

  it("the OAuth install: a signed single-use link; the callback stores the bot token sealed", async () => {
    const created = await api(s.url, "POST", "/api/v1/integrations", {
      key: s.key,
      body: {
        type: "slack",
        name: "oauth-slack",
        credentials: {
          signing_secret: SIGNING_SECRET,
          client_id: "1234.5678",
          client_secret: "a-client-secret",
        },
      },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json.uid as string;
    const link = await api(s.url, "POST", `/api/v1/integrations/${id}/install-link`, {
      key: s.key,
    });
    expect(link.status, link.text).toBe(201);
    const url = new URL(link.json.url);
    expect(url.origin + url.pathname).toBe("https://slack.com/oauth/v2/authorize");
    expect(url.searchParams.get("client_id")).toBe("1234.5678");
    expect(url.searchParams.get("scope")).toContain("users:read.email");
    const callback = `${PUBLIC_URL}/api/v1/integrations/install/callback`;
    expect(url.searchParams.get("redirect_uri")).toBe(callback);
    const state = url.searchParams.get("state") ?? "";
    const back = (q: string) => fetch(`${s.url}/api/v1/integrations/install/callback?${q}`);
    // the signature's first character changed (its last ones may only carry padding bits: a
    // change there can decode to the same signature)
    const sig = state.lastIndexOf(".") + 1;
    const forged = `${state.slice(0, sig)}${state[sig] === "A" ? "B" : "A"}${state.slice(sig + 1)}`;
    expect((await back(`code=good-code&state=${forged}`)).status).toBe(400);
    const ok = await back(`code=good-code&state=${state}`);
    expect(ok.status, await ok.text()).toBe(200);
    const exchange = slack.callsOf("oauth.v2.access").at(-1);
    expect(exchange?.args).toMatchObject({
      code: "good-code",
      client_id: "1234.5678",
      client_secret: "a-client-secret",
      redirect_uri: callback,
    });
    const got = await api(s.url, "GET", `/api/v1/integrations/${id}`, { key: s.key });
    expect(got.json.credentials).toMatchObject({ bot_token: true, client_id: true });
    expect(got.json.settings).toMatchObject({ bot_user_id: "UBOT" });
    expect(JSON.stringify(got.json)).not.toContain("xoxb-installed");
    // single use
    expect((await back(`code=good-code&state=${state}`)).status).toBe(400);
  });
});
