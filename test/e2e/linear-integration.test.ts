// The Linear integration end to end: a real `wrangler dev` (its INTEGRATIONS and EVENTS queues)
// with LINEAR_API_URL pointing at a fake Linear GraphQL API (test/fakes/linear-graphql.ts), a
// host runner with the built-in harness whose model is the scripted model server (the mention's
// text is what the agent does: test/fakes/scripted-agent.ts), and a local git server the run
// clones, pushes and opens its pull request on (integration-setup.ts). Deliveries are signed with
// node:crypto, independent of the kind's WebCrypto.
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLinear } from "../fakes/linear-graphql.ts";
import { api, type Json, waitFor } from "./helpers.ts";
import { type IntegrationE2e, PUBLIC_URL, startIntegrationE2e } from "./integration-setup.ts";
import { eventsOf, getRun, payloadsOf, untilEnded, untilRun } from "./runner-setup.ts";

const PAT = "ghp_fake_linear_e2e_token";
const API_KEY = "lin_api_fake_e2e_key";
const WEBHOOK_SECRET = "a-linear-webhook-secret-for-e2e";
const OAUTH = { clientId: "lin-e2e-client", clientSecret: "lin-e2e-client-secret", code: "c-e2e" };
const OAUTH_TOKEN = "lin_oauth_e2e_installed_token";
const REPO = "acme/widgets";

type FakeLinear = Awaited<ReturnType<typeof startFakeLinear>>;
let e: IntegrationE2e<FakeLinear>;
let s: IntegrationE2e<FakeLinear>["s"];
let git: IntegrationE2e<FakeLinear>["git"];
let linear: FakeLinear;
let integration: Json;

beforeAll(async () => {
  e = await startIntegrationE2e({
    name: "e2e-linear-integration",
    repo: REPO,
    githubToken: PAT,
    vendor: () =>
      startFakeLinear({
        apiKey: API_KEY,
        accessToken: OAUTH_TOKEN,
        viewerId: "u-app-e2e",
        oauth: OAUTH,
      }),
    vars: (fake) => ({
      LINEAR_API_URL: fake.url,
      LINEAR_OAUTH_URL: "https://linear.example.test",
    }),
    integration: ({ envId }) => ({
      type: "linear",
      name: "acme-linear",
      credentials: { api_key: API_KEY, webhook_secret: WEBHOOK_SECRET },
      settings: { teams: { ENG: envId } },
      // the mention's text is what the scripted agent does
      prompt_template: "{{request}}",
    }),
  });
  ({ s, git, vendor: linear, integration } = e);
}, 240_000);

afterAll(() => e?.stop());

let issues = 0;
/** A new issue of team ENG in the fake, and an agent session on it. */
function newSession() {
  const n = ++issues;
  const issue = {
    id: `issue-${n}`,
    identifier: `ENG-${n}`,
    title: `Widget task ${n}`,
    description: "Make the widgets better.",
    url: `https://linear.app/acme/issue/ENG-${n}`,
    team: { id: "team-eng", key: "ENG" },
    labels: ["ambit"],
    comments: [{ body: "Please.", user: "Ann" }],
  };
  linear.addIssue(issue);
  return { issue, sessionId: `session-${n}-${randomUUID().slice(0, 8)}` };
}

function created(o: { sessionId: string; issue: Json; body: string; email?: string }) {
  return {
    type: "AgentSessionEvent",
    action: "created",
    organizationId: "org-1",
    appUserId: "app-user",
    webhookId: "wh-1",
    webhookTimestamp: Date.now(),
    agentSession: {
      id: o.sessionId,
      issueId: o.issue.id,
      issue: {
        id: o.issue.id,
        identifier: o.issue.identifier,
        title: o.issue.title,
        url: o.issue.url,
        teamId: "team-eng",
        team: { id: "team-eng", key: "ENG" },
      },
      comment: { id: `c-${o.sessionId}`, body: o.body },
      creatorId: "linear-user-1",
      creator: { id: "linear-user-1", name: "Owner", email: o.email ?? s.owner.email },
    },
  };
}

function prompted(sessionId: string, o: { body?: string; signal?: string }) {
  return {
    type: "AgentSessionEvent",
    action: "prompted",
    organizationId: "org-1",
    appUserId: "app-user",
    webhookTimestamp: Date.now(),
    agentSession: { id: sessionId },
    agentActivity: {
      userId: "linear-user-1",
      user: { id: "linear-user-1", email: s.owner.email },
      signal: o.signal ?? null,
      content: { type: "prompt", body: o.body ?? "" },
    },
  };
}

/** POSTs a delivery as Linear does, signed with node:crypto. */
async function deliver(payload: unknown, o: { deliveryId?: string } = {}) {
  const body = JSON.stringify(payload);
  const deliveryId = o.deliveryId ?? randomUUID();
  const sentAt = Date.now();
  const res = await fetch(`${s.url}/api/v1/integrations/${integration.uid}/events`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "linear-delivery": deliveryId,
      "linear-event": "AgentSessionEvent",
      "linear-signature": createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex"),
    },
    body,
  });
  return { status: res.status, text: await res.text(), deliveryId, sentAt };
}

const deliveries = (query = "") => e.deliveries(query);
const processed = (deliveryId: string) => e.processed(deliveryId);
const runsOf = () => e.runs();

const typesOf = (sessionId: string) =>
  linear.activitiesOf(sessionId).map((a) => String(a.content.type));

describe("the Linear integration end to end", () => {
  it("an assignment starts a run; thought first (within 10 s), actions, the response with the PR, in order", async () => {
    const { issue, sessionId } = newSession();
    const sent = await deliver(
      created({
        sessionId,
        issue,
        body: "echo polished >> widgets/README.md\n#say Polished the README.",
      }),
    );
    expect(sent.status, sent.text).toBe(202);
    const row = await processed(sent.deliveryId);
    expect(row).toMatchObject({ outcome: "run_created", event: "AgentSessionEvent.created" });
    expect(row.thread_key).toBe(`linear:${sessionId}`);
    const runId = row.run_id as string;

    // Linear shows the agent as unresponsive without an activity within 10 s of the session
    const first = linear.activitiesOf(sessionId)[0];
    expect(first?.content.type).toBe("thought");
    expect(first.at - sent.sentAt).toBeLessThan(10_000);

    const run = await untilEnded(s, runId, 60_000);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    expect(run.source).toBe("LINEAR");
    expect(run.trigger_url).toBe(issue.url);
    expect(run.metadata).toMatchObject({ ticket_id: issue.identifier, ticket_source: "linear" });
    const prUrl = `${git.url}/${REPO}/pull/1`;
    expect(git.pulls.map((p: Json) => p.html_url)).toContain(prUrl);
    const full = await getRun(s, runId);
    expect(full.artifacts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          artifact_type: "EXTERNAL_REFERENCE",
          data: expect.objectContaining({ url: issue.url, reference_type: "linear_issue" }),
        }),
      ]),
    );

    // the EVENTS queue trails the run: wait for the response, then check the order
    expect(await waitFor(() => typesOf(sessionId).includes("response"), 30_000, 200)).toBe(true);
    const types = typesOf(sessionId);
    expect(types[0]).toBe("thought");
    expect(types.at(-1)).toBe("response");
    const actions = linear.activitiesOf(sessionId).filter((a) => a.content.type === "action");
    expect(actions.map((a) => a.content.parameter)).toContain("echo polished >> widgets/README.md");
    expect(types.indexOf("action")).toBeLessThan(types.indexOf("response"));
    // the built-in harness ran the scripted model's tool call
    const calls = payloadsOf(await eventsOf(s, runId), "agent.tool_call");
    expect(calls.map((c) => c.name)).toContain("run_shell_command");
    expect(e.model.requests.length).toBeGreaterThanOrEqual(2);
    const response = linear.activitiesOf(sessionId).at(-1)!;
    expect(response.content.body).toContain(`Pull request: ${prUrl}`);
    expect(response.content.body).toContain(`${PUBLIC_URL}/runs/${runId}`);
    // posted once each, by a key sent bare
    await new Promise((r) => setTimeout(r, 2_000));
    expect(typesOf(sessionId)).toEqual(types);
    expect(linear.calls.every((c) => c.authorization === API_KEY)).toBe(true);
  }, 120_000);

  it("prompted is a follow-up the agent gets", async () => {
    const { issue, sessionId } = newSession();
    const first = await deliver(
      created({ sessionId, issue, body: '#wait-followup\necho "$FOLLOWUP" > widgets/F.md' }),
    );
    const runId = (await processed(first.deliveryId)).run_id as string;
    await untilRun(s, runId, (r) => r.state === "INPROGRESS", 30_000);
    const second = await deliver(prompted(sessionId, { body: "use the blue one" }));
    expect(await processed(second.deliveryId)).toMatchObject({
      outcome: "followup_sent",
      run_id: runId,
    });
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    const said = payloadsOf(await eventsOf(s, runId), "agent.message").map((p) => p.text);
    expect(said).toContain("follow-up: use the blue one");
    expect(await waitFor(() => typesOf(sessionId).includes("response"), 30_000, 200)).toBe(true);
  }, 120_000);

  it("a BLOCKED question is an elicitation; the answer in the session unblocks the run", async () => {
    const { issue, sessionId } = newSession();
    const first = await deliver(
      created({ sessionId, issue, body: '#ask Which colour?\necho "$ANSWER" > widgets/colour.md' }),
    );
    const runId = (await processed(first.deliveryId)).run_id as string;
    await untilRun(s, runId, (r) => r.state === "BLOCKED", 30_000);
    expect(await waitFor(() => typesOf(sessionId).includes("elicitation"), 30_000, 200)).toBe(true);
    const asked = linear.activitiesOf(sessionId).find((a) => a.content.type === "elicitation");
    expect(asked?.content.body).toContain("Which colour?");
    const answer = await deliver(prompted(sessionId, { body: "blue" }));
    expect(await processed(answer.deliveryId)).toMatchObject({
      outcome: "followup_sent",
      run_id: runId,
    });
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    const said = payloadsOf(await eventsOf(s, runId), "agent.message").map((p) => p.text);
    expect(said).toContain("answer: blue");
    expect(await waitFor(() => typesOf(sessionId).includes("response"), 30_000, 200)).toBe(true);
    const types = typesOf(sessionId);
    expect(types.indexOf("elicitation")).toBeLessThan(types.indexOf("response"));
  }, 120_000);

  it("a stop request cancels the run; the session ends with an error activity", async () => {
    const { issue, sessionId } = newSession();
    const first = await deliver(created({ sessionId, issue, body: "sleep 60" }));
    const runId = (await processed(first.deliveryId)).run_id as string;
    await untilRun(s, runId, (r) => r.state === "INPROGRESS", 30_000);
    const stop = await deliver(prompted(sessionId, { signal: "stop" }));
    expect(await processed(stop.deliveryId)).toMatchObject({
      outcome: "run_cancelled",
      run_id: runId,
    });
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state).toBe("CANCELLED");
    expect(await waitFor(() => typesOf(sessionId).includes("error"), 30_000, 200)).toBe(true);
    expect(linear.activitiesOf(sessionId).at(-1)?.content.body).toMatch(/^Stopped:/);
  }, 120_000);

  it("a non-member is refused with how to get access, and recorded ignored; no run", async () => {
    const before = (await runsOf()).length;
    const { issue, sessionId } = newSession();
    const sent = await deliver(
      created({ sessionId, issue, body: "rm -rf /", email: "stranger@example.org" }),
    );
    expect(sent.status).toBe(202);
    const row = await processed(sent.deliveryId);
    expect(row.outcome).toBe("ignored");
    expect(row.reason).toMatch(/^not permitted:/);
    expect(row.run_id).toBeNull();
    expect((await runsOf()).length).toBe(before);
    expect(typesOf(sessionId)).toEqual(["error"]);
    expect(linear.activitiesOf(sessionId)[0].content.body).toContain("ambit member add");
  });

  it("the same Linear-Delivery again is 200 and creates nothing", async () => {
    const { issue, sessionId } = newSession();
    const payload = created({ sessionId, issue, body: "#say once" });
    const first = await deliver(payload);
    const row = await processed(first.deliveryId);
    expect(row.outcome).toBe("run_created");
    await untilEnded(s, row.run_id, 60_000);
    const runs = (await runsOf()).length;
    const again = await deliver(payload, { deliveryId: first.deliveryId });
    expect(again.status, again.text).toBe(200);
    expect(JSON.parse(again.text)).toMatchObject({ duplicate: true });
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await runsOf()).length).toBe(runs);
    expect((await deliveries()).filter((d) => d.delivery_id === first.deliveryId)).toHaveLength(1);
  }, 90_000);

  it("the agent app's OAuth install: link, callback, token sealed, app user recorded", async () => {
    const made = await api(s.url, "POST", "/api/v1/integrations", {
      key: s.key,
      body: {
        type: "linear",
        name: "acme-linear-app",
        credentials: {
          client_id: OAUTH.clientId,
          client_secret: OAUTH.clientSecret,
          webhook_secret: WEBHOOK_SECRET,
        },
      },
    });
    expect(made.status, made.text).toBe(201);
    const uid = made.json.uid as string;
    const link = await api(s.url, "POST", `/api/v1/integrations/${uid}/install-link`, {
      key: s.key,
    });
    expect(link.status, link.text).toBe(201);
    const url = new URL(link.json.url);
    expect(url.origin).toBe("https://linear.example.test");
    expect(url.searchParams.get("actor")).toBe("app");
    const state = url.searchParams.get("state")!;
    const back = (code: string) =>
      fetch(
        `${s.url}/api/v1/integrations/install/callback?code=${code}&state=${encodeURIComponent(state)}`,
      );
    const ok = await back(OAUTH.code);
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect((await back(OAUTH.code)).status).toBe(400); // single use
    const got = await api(s.url, "GET", `/api/v1/integrations/${uid}`, { key: s.key });
    expect(got.json.credentials).toMatchObject({ access_token: true });
    expect(got.json.settings.app_user_id).toBe("u-app-e2e");
    expect(got.text).not.toContain(OAUTH_TOKEN);
    expect(linear.tokenRequests.at(-1)).toMatchObject({
      code: OAUTH.code,
      redirect_uri: `${PUBLIC_URL}/api/v1/integrations/install/callback`,
    });
  });
});
