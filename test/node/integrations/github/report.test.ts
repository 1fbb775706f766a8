import type { PlatformEventMessage } from "@ambit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../../../src/db/client.ts";
import { runArtifacts, runs, teams } from "../../../../src/db/schema.ts";
import { githubKind } from "../../../../src/integrations/github/index.ts";
import type { Thread } from "../../../../src/integrations/kind.ts";
import { type FakeGitHubRest, startFakeGitHubRest } from "../../../fakes/github-rest.ts";
import { startD1 } from "../d1.ts";
import { integration, PAT } from "./fixtures.ts";

let gh: FakeGitHubRest;
let d1: Awaited<ReturnType<typeof startD1>>;
let env: Env;
beforeAll(async () => {
  gh = await startFakeGitHubRest({ pat: PAT });
  d1 = await startD1();
  env = {
    DB: d1.db,
    PUBLIC_URL: "https://ambit.example.com",
    JWT_SECRET: "test-jwt-secret-0123456789abcdefghijklmnop",
    SECRETS_KEY: "test-secrets-key-0123456789abcdefghijklmno",
  };
  await createDb(env.DB)
    .insert(teams)
    .values([
      { id: "team_1", name: "one", createdAt: 0 },
      { id: "team_2", name: "two", createdAt: 0 },
    ]);
});
afterAll(async () => {
  await gh.close();
  await d1.dispose();
});

let seq = 0;
async function seedRun(o: {
  teamId?: string;
  state: string;
  startedAt?: number;
  endedAt?: number;
  pr?: string;
}) {
  const id = `run_${++seq}`;
  const db = createDb(env.DB);
  await db.insert(runs).values({
    id,
    teamId: o.teamId ?? "team_1",
    scope: "Team",
    creatorType: "service_account",
    creatorId: "sa_1",
    title: "Fix login",
    prompt: "p",
    state: o.state,
    source: "GITHUB_WEBHOOK",
    startedAt: o.startedAt ?? null,
    endedAt: o.endedAt ?? null,
    createdAt: 1_000,
    updatedAt: 1_000,
  });
  if (o.pr)
    await db.insert(runArtifacts).values({
      id: `art_${seq}`,
      runId: id,
      teamId: o.teamId ?? "team_1",
      artifactType: "PULL_REQUEST",
      data: { url: o.pr, branch: `ambit/${id}` },
      createdAt: 2_000,
    });
  return id;
}

const thread = (number = 42): Thread => ({
  key: `github:acme/api#${number}`,
  url: "https://github.com/acme/api/issues/42",
  state: {
    repository: "acme/api",
    issue_number: number,
    installation_id: 4242,
    since: new Date(Date.now() - 60_000).toISOString(),
  },
});
const event = (
  runId: string,
  type: PlatformEventMessage["type"],
  at: number,
  data = {},
): PlatformEventMessage => ({
  id: `evt_${at}`,
  team_id: "team_1",
  type,
  at,
  data: { run_id: runId, source: "GITHUB_WEBHOOK", title: "Fix login", ...data },
});
const i = () => integration({ apiBaseUrl: gh.url });
const report = (t: Thread, e: PlatformEventMessage, e2 = env) =>
  githubKind.report?.({ env: e2, integration: i(), thread: t, event: e });
const ours = (n = 42) => gh.comments.get(`acme/api#${n}`) ?? [];

describe("report: one comment per run", () => {
  it("writes it at run.created, edits it on each change, ends with outcome, duration and PR", async () => {
    const runId = await seedRun({
      state: "SUCCEEDED",
      startedAt: 10_000,
      endedAt: 10_000 + 252_000,
      pr: "https://github.com/acme/api/pull/8",
    });
    const t = thread();
    gh.addComment("acme/api", 42, { body: "@ambit fix it" });
    const kept = await report(t, event(runId, "run.created", 100, { state: "QUEUED" }));
    expect(ours()).toHaveLength(2);
    const comment = ours()[1];
    expect(kept).toEqual({ state: { ...t.state, comment_id: comment.id } });
    expect(comment.body).toContain("Ambit started a run");
    expect(comment.body).toContain(`[open the session](https://ambit.example.com/runs/${runId})`);

    // the framework may not keep the state: the comment is found again by its marker
    await report(
      t,
      event(runId, "run.state_changed", 200, { state: "INPROGRESS", previous_state: "QUEUED" }),
    );
    expect(ours()).toHaveLength(2);
    expect(comment.body).toContain("Ambit is working on this");

    await report(
      { ...t, state: kept?.state },
      event(runId, "run.completed", 300, { state: "SUCCEEDED" }),
    );
    expect(ours()).toHaveLength(2);
    expect(comment.body).toContain("✅ Ambit's run succeeded after 4 min 12 s.");
    expect(comment.body).toContain("Pull request: https://github.com/acme/api/pull/8");
    expect(
      gh.requests().filter((r) => r.startsWith("POST /repos/acme/api/issues/42/comments")),
    ).toHaveLength(1);
  });

  it("posts nothing twice for a repeated event, and never goes back to an older state", async () => {
    const runId = await seedRun({ state: "FAILED", startedAt: 0, endedAt: 35_000 });
    const t = thread(43);
    await report(t, event(runId, "run.created", 100, { state: "QUEUED" }));
    await report(t, event(runId, "run.created", 100, { state: "QUEUED" }));
    expect(ours(43)).toHaveLength(1);
    const failed = { state: "FAILED", status_message: { message: "tests still fail, ask @lead" } };
    await report(t, event(runId, "run.completed", 300, failed));
    const patches = gh.requests().filter((r) => r.startsWith("PATCH")).length;
    await report(t, event(runId, "run.completed", 300, failed));
    await report(t, event(runId, "run.state_changed", 200, { state: "INPROGRESS" })); // late arrival
    expect(gh.requests().filter((r) => r.startsWith("PATCH")).length).toBe(patches);
    expect(ours(43)).toHaveLength(1);
    expect(ours(43)[0].body).toContain("❌ Ambit's run failed after 35 s.");
    expect(ours(43)[0].body).toContain("> tests still fail, ask @\u200blead"); // pages no one
  });

  it("keeps run.completed's comment over the run.state_changed of the same change, either order", async () => {
    const pr = "https://github.com/acme/api/pull/9";
    for (const [number, order] of [
      [48, ["run.state_changed", "run.completed"]],
      [49, ["run.completed", "run.state_changed"]],
    ] as const) {
      // the run row does not say it ended yet: the event's time is the end
      const runId = await seedRun({ state: "INPROGRESS", startedAt: 1_000, pr });
      for (const type of order)
        await report(thread(number), event(runId, type, 61_000, { state: "SUCCEEDED" }));
      expect(ours(number)).toHaveLength(1);
      expect(ours(number)[0].body).toContain("succeeded after 1 min 0 s.");
      expect(ours(number)[0].body).toContain(`Pull request: ${pr}`);
    }
  });

  it("writes the comment at a later event when run.created was missed", async () => {
    const runId = await seedRun({ state: "INPROGRESS" });
    await report(thread(44), event(runId, "run.state_changed", 200, { state: "INPROGRESS" }));
    expect(ours(44)).toHaveLength(1);
  });

  it("shows no other team's run facts", async () => {
    const runId = await seedRun({
      teamId: "team_2",
      state: "SUCCEEDED",
      startedAt: 0,
      endedAt: 1000,
      pr: "https://github.com/acme/api/pull/666",
    });
    await report(thread(45), event(runId, "run.completed", 300, { state: "SUCCEEDED" }));
    expect(ours(45)[0].body).not.toContain("pull/666");
    expect(ours(45)[0].body).not.toContain("after");
  });

  it("names the run without a link when the platform has no PUBLIC_URL", async () => {
    const runId = await seedRun({ state: "QUEUED" });
    await report(thread(46), event(runId, "run.created", 100, { state: "QUEUED" }), {
      ...env,
      PUBLIC_URL: undefined,
    });
    expect(ours(46)[0].body).toContain(`(\`${runId}\`)`);
    expect(ours(46)[0].body).not.toContain("open the session");
  });

  it("does nothing for a thread without an issue, another event type, or another team's event", async () => {
    const before = gh.calls.length;
    const runId = await seedRun({ state: "QUEUED" });
    const branch: Thread = {
      key: "github:acme/api@main",
      state: { repository: "acme/api", since: new Date().toISOString() },
    };
    await report(branch, event(runId, "run.created", 100, { state: "QUEUED" }));
    await report(thread(47), event(runId, "artifact.created", 100));
    await report(thread(47), { ...event(runId, "run.created", 100), team_id: "team_2" });
    expect(gh.calls.length).toBe(before);
  });
});
