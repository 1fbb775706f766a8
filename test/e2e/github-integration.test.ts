// The GitHub integration end to end: a real `wrangler dev` (its INTEGRATIONS and EVENTS queues),
// a host runner with the built-in harness whose model is the scripted model server (the mention's
// text is what the agent does: test/fakes/scripted-agent.ts), a local git server the run clones,
// pushes and opens its pull request on (integration-setup.ts), and a fake GitHub REST API the
// integration reacts and comments on (test/fakes/github-rest.ts). Deliveries are signed with the
// independent `@octokit/webhooks-methods`.
import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitHubRest, startFakeGitHubRest } from "../fakes/github-rest.ts";
import { issueCommentPayload } from "../fakes/github-payloads.ts";
import { type Json, waitFor } from "./helpers.ts";
import { type IntegrationE2e, PUBLIC_URL, startIntegrationE2e } from "./integration-setup.ts";
import { eventsOf, getRun, payloadsOf, untilEnded, untilRun } from "./runner-setup.ts";

const PAT = "ghp_fake_integration_token";
const WEBHOOK_SECRET = "a-webhook-secret-for-the-e2e-test";
const REPO = "acme/widgets";

let e: IntegrationE2e<FakeGitHubRest>;
let s: IntegrationE2e<FakeGitHubRest>["s"];
let git: IntegrationE2e<FakeGitHubRest>["git"];
let rest: FakeGitHubRest;
let integration: Json;

beforeAll(async () => {
  e = await startIntegrationE2e({
    name: "e2e-github-integration",
    repo: REPO,
    githubToken: PAT,
    // no GITHUB_TOKEN secret: the run's token comes from the integration
    githubSecret: false,
    vendor: () => startFakeGitHubRest({ pat: PAT, botLogin: "ambit[bot]" }),
    integration: ({ vendor, envId, git }) => ({
      type: "github",
      name: "acme",
      credentials: { token: PAT, webhook_secret: WEBHOOK_SECRET },
      settings: {
        api_base_url: vendor.url,
        web_base_url: git.url,
        bot_login: "ambit[bot]",
        environments: { [REPO]: envId },
      },
      // the mention's text is what the scripted agent does
      prompt_template: "{{request}}",
    }),
  });
  ({ s, git, vendor: rest, integration } = e);
}, 240_000);

afterAll(() => e?.stop());

let commentIds = 9000;
/** An issue_comment delivery on issue `number` of acme/widgets (an OWNER's unless said). */
function mention(o: { body: string; number: number; association?: string; login?: string }) {
  const commentId = ++commentIds;
  return { commentId, payload: issueCommentPayload({ ...o, repo: REPO, commentId }) };
}

/** POSTs a delivery as GitHub does (signed unless `signature` is given). */
async function deliver(
  payload: unknown,
  o: { event?: string; deliveryId?: string; signature?: string } = {},
) {
  const body = JSON.stringify(payload);
  const deliveryId = o.deliveryId ?? randomUUID();
  const res = await fetch(`${s.url}/api/v1/integrations/${integration.uid}/events`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/e2e",
      "x-github-event": o.event ?? "issue_comment",
      "x-github-delivery": deliveryId,
      "x-github-hook-id": "1",
      "x-hub-signature-256": o.signature ?? (await sign(WEBHOOK_SECRET, body)),
    },
    body,
  });
  return { status: res.status, text: await res.text(), deliveryId };
}

const deliveries = (query = "") => e.deliveries(query);
const processed = (deliveryId: string) => e.processed(deliveryId);
const runsOf = () => e.runs();

const commentsOn = (number: number) =>
  (rest.comments.get(`${REPO}#${number}`) ?? []).filter((c) => c.user.login === "ambit[bot]");

describe("the GitHub integration end to end", () => {
  it("an OWNER's mention starts a run that opens a PR; eyes, and ONE comment edited to the outcome", async () => {
    const m = mention({
      number: 42,
      body: "@ambit echo polished >> widgets/README.md\n#say Polished the README.",
    });
    const sent = await deliver(m.payload);
    expect(sent.status, sent.text).toBe(202);
    const row = await processed(sent.deliveryId);
    expect(row).toMatchObject({ outcome: "run_created", event: "issue_comment" });
    expect(row.thread_key).toBe(`github:${REPO}#42`);
    const runId = row.run_id as string;

    const run = await untilEnded(s, runId, 60_000);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    expect(run.source).toBe("GITHUB_WEBHOOK");
    // the run links back to the comment that asked for it
    expect(run.trigger_url).toBe(
      `https://github.com/${REPO}/issues/42#issuecomment-${m.commentId}`,
    );
    expect(run.metadata).toMatchObject({
      github_repository: REPO,
      github_issue: "42",
      github_event: "issue_comment.created",
      github_delivery: sent.deliveryId,
    });
    expect(git.pulls).toHaveLength(1);
    const prUrl = `${git.url}/${REPO}/pull/1`;
    expect(git.pulls[0].html_url).toBe(prUrl);

    expect(rest.reactions).toContainEqual({ commentId: m.commentId, content: "eyes" });
    // one comment, created once and edited to the outcome (the EVENTS queue trails the run; the
    // state change's edit says "succeeded", run.completed's then adds the time and the PR)
    const done = await waitFor(
      () => commentsOn(42).some((c) => c.body.includes("Pull request:")),
      30_000,
      200,
    );
    const mine = commentsOn(42);
    expect(done, JSON.stringify(mine)).toBe(true);
    expect(mine.map((c) => c.body)).toHaveLength(1);
    const posts = rest.calls.filter(
      (c) => c.method === "POST" && c.path === `/repos/${REPO}/issues/42/comments`,
    );
    expect(posts).toHaveLength(1);
    // written at run.created (the thread is there with the run), then edited
    expect((posts[0].body as { body: string }).body).toContain("it is waiting for a host");
    expect(rest.calls.some((c) => c.method === "PATCH")).toBe(true);
    expect(mine[0].body).toContain(`Pull request: ${prUrl}`);
    expect(mine[0].body).toMatch(/succeeded after \d+ (s|min)/);
    expect(mine[0].body).toContain(`${PUBLIC_URL}/runs/${runId}`);
    // the token never shows in the run's events
    expect(JSON.stringify(await eventsOf(s, runId))).not.toContain(PAT);
  }, 120_000);

  it("a stranger's mention is ignored and recorded with the reason; no run", async () => {
    const before = (await runsOf()).length;
    const sent = await deliver(
      mention({ number: 43, body: "@ambit rm -rf /", association: "NONE", login: "stranger" })
        .payload,
    );
    expect(sent.status, sent.text).toBe(202);
    const row = await processed(sent.deliveryId);
    expect(row.outcome).toBe("ignored");
    expect(row.reason).toMatch(/^not permitted:/);
    expect(row.run_id).toBeNull();
    expect((await runsOf()).length).toBe(before);
    expect(commentsOn(43)).toHaveLength(0);
  });

  it("the same X-GitHub-Delivery again is 200 and creates nothing", async () => {
    const m = mention({ number: 44, body: "@ambit #say once" });
    const first = await deliver(m.payload);
    expect(first.status).toBe(202);
    const row = await processed(first.deliveryId);
    expect(row.outcome).toBe("run_created");
    await untilEnded(s, row.run_id, 60_000);
    const runs = (await runsOf()).length;
    const again = await deliver(m.payload, { deliveryId: first.deliveryId });
    expect(again.status, again.text).toBe(200);
    expect(JSON.parse(again.text)).toMatchObject({ duplicate: true });
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await runsOf()).length).toBe(runs);
    expect((await deliveries()).filter((d) => d.delivery_id === first.deliveryId)).toHaveLength(1);
  }, 90_000);

  it("a bad signature is 401 and recorded rejected", async () => {
    const m = mention({ number: 45, body: "@ambit #say forged" });
    const bad = await sign("not-the-secret", JSON.stringify(m.payload));
    const sent = await deliver(m.payload, { signature: bad });
    expect(sent.status).toBe(401);
    expect(sent.text).toBe("");
    const rejected = await deliveries("&outcome=rejected");
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected[0]).toMatchObject({ outcome: "rejected", run_id: null });
    expect(rejected[0].reason).toBeTruthy();
  });

  it("a second mention while the run is active is a follow-up the agent gets; after it ended, the next execution", async () => {
    const first = await deliver(
      mention({ number: 46, body: '@ambit #wait-followup\necho "$FOLLOWUP" > widgets/F.md' })
        .payload,
    );
    const row = await processed(first.deliveryId);
    const runId = row.run_id as string;
    await untilRun(s, runId, (r) => r.state === "INPROGRESS", 30_000);

    const second = await deliver(mention({ number: 46, body: "@ambit use the blue one" }).payload);
    const followed = await processed(second.deliveryId);
    expect(followed).toMatchObject({ outcome: "followup_sent", run_id: runId });
    const run = await untilEnded(s, runId, 60_000);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    const said = payloadsOf(await eventsOf(s, runId), "agent.message").map((p) => p.text);
    expect(said).toContain("follow-up: use the blue one");

    // the run ended: a third mention starts its next execution
    const third = await deliver(mention({ number: 46, body: "@ambit #say again" }).payload);
    expect(await processed(third.deliveryId)).toMatchObject({
      outcome: "followup_sent",
      run_id: runId,
    });
    // its next execution runs the mention's text and ends again
    const said2 = async () =>
      payloadsOf(await eventsOf(s, runId), "agent.message").map((p) => String(p.text));
    expect(
      await waitFor(async () => (await said2()).some((t) => t.includes("again")), 30_000),
    ).toBe(true);
    expect((await untilEnded(s, runId, 60_000)).state).toBe("SUCCEEDED");
    // one comment for the run, through both executions (the EVENTS queue trails them)
    await waitFor(() => commentsOn(46).some((c) => c.body.includes("succeeded")), 30_000, 200);
    await new Promise((r) => setTimeout(r, 2_000)); // a second comment would have come by now
    expect(commentsOn(46).map((c) => c.body)).toHaveLength(1);
    expect((await getRun(s, runId)).source).toBe("GITHUB_WEBHOOK");
  }, 150_000);
});
