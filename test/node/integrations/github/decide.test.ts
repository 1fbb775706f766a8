import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGitHubKind, githubKind } from "../../../../src/integrations/github/index.ts";
import { GitHubSettings } from "../../../../src/integrations/github/settings.ts";
import type {
  Decision,
  IntegrationKind,
  IntegrationRecord,
} from "../../../../src/integrations/kind.ts";
import { type FakeGitHubRest, startFakeGitHubRest } from "../../../fakes/github-rest.ts";
import {
  checkSuite,
  integration,
  issueComment,
  issueLabeled,
  PAT,
  pullRequest,
  SECRET,
  workflowRun,
} from "./fixtures.ts";

let gh: FakeGitHubRest;
beforeAll(async () => {
  gh = await startFakeGitHubRest({ pat: PAT });
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.calls.length = 0;
  gh.comments.clear();
  gh.reactions.length = 0;
});

const FAKE_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMII=\n-----END RSA PRIVATE KEY-----\n";
let n = 0;
/** One issue_comment (or `event`) delivery to `kind` for an integration record as given. */
const decideFor = (
  i: unknown,
  payload: unknown,
  kind: IntegrationKind<unknown, unknown> = githubKind as IntegrationKind<unknown, unknown>,
  event = "issue_comment",
) =>
  kind.decide({
    env: {} as Env,
    integration: i as IntegrationRecord<unknown, unknown>,
    delivery: { id: `d-${++n}`, event, payload, receivedAt: Date.UTC(2026, 11, 1) },
  });
const decide = (
  event: string,
  payload: unknown,
  settings: Record<string, unknown> = {},
  runDefaults = {},
) =>
  decideFor(integration({ apiBaseUrl: gh.url, settings, runDefaults }), payload, undefined, event);

const started = (d: Decision) => {
  if (d.kind !== "start_run") throw new Error(`expected start_run, got ${JSON.stringify(d)}`);
  return { ...d, request: { ...d.request, prompt: d.request.prompt ?? "" } };
};
const ignored = async (p: Promise<Decision>, reason: RegExp) => {
  const d = await p;
  expect(d).toEqual({ kind: "ignore", reason: expect.stringMatching(reason) });
};

describe("mention", () => {
  it("starts a run with the thread's context, reacts with eyes, and offers a follow-up", async () => {
    gh.addComment("acme/api", 42, {
      body: "It also fails on iOS.",
      login: "reporter",
      association: "NONE",
    });
    const d = started(
      await decide(
        "issue_comment",
        issueComment({ body: "@ambit please fix the login", comments: 2 }),
        {
          environments: { "acme/api": "env_web", "acme/*": "env_other" },
        },
        { model_id: "gpt-x" },
      ),
    );
    expect(d.source).toBe("GITHUB_WEBHOOK");
    expect(d.request.title).toBe("acme/api#42: Login fails on Safari");
    expect(d.request.prompt).toContain("please fix the login");
    expect(d.request.prompt).toContain("Steps: open /login in Safari 17");
    expect(d.request.prompt).toContain("@reporter (NONE): It also fails on iOS.");
    expect(d.request.prompt).toContain("Labels: bug");
    expect(d.request.metadata).toEqual({
      github_repository: "acme/api",
      github_issue: "42",
      github_event: "issue_comment.created",
      github_delivery: expect.stringMatching(/^d-/),
    });
    expect(d.thread).toEqual({
      key: "github:acme/api#42",
      url: "https://github.com/acme/api/issues/42#issuecomment-9001",
      state: expect.objectContaining({
        repository: "acme/api",
        issue_number: 42,
        installation_id: 4242,
      }),
    });
    expect(d.triggerConfig).toEqual({ model_id: "gpt-x", environment_id: "env_web" });
    expect(d.followup).toEqual({ message: "please fix the login", sender: "github:maintainer" });
    expect(gh.reactions).toEqual([{ commentId: 9001, content: "eyes" }]);
  });

  it("is a follow-up when the framework says the thread has a run, without gathering context", async () => {
    const asked: string[] = [];
    const kind = createGitHubKind({
      threadHasRun: async (_env, _id, key) => (asked.push(key), key === "github:acme/api#42"),
    });
    const gi = integration({ apiBaseUrl: gh.url });
    const d = await decideFor(gi, issueComment({ comments: 5 }), kind as never);
    expect(d).toEqual({
      kind: "followup",
      thread: expect.objectContaining({ key: "github:acme/api#42" }),
      message: "please fix this",
      sender: "github:maintainer",
    });
    expect(asked).toEqual(["github:acme/api#42"]);
    expect(gh.requests()).toEqual(["POST /repos/acme/api/issues/comments/9001/reactions"]);
    const other = await decideFor(gi, issueComment({ number: 43 }), kind as never);
    expect(other.kind).toBe("start_run");
  });

  it("on a pull request brings its diff and names the PR", async () => {
    gh.diffs.set("acme/api#42", "diff --git a/x b/x\n+fixed\n");
    const d = started(await decide("issue_comment", issueComment({ pr: true })));
    expect(d.request.prompt).toContain("```diff\ndiff --git a/x b/x\n+fixed");
    expect(d.request.metadata?.github_pr).toBe("42");
    expect(gh.calls.find((c) => c.path === "/repos/acme/api/pulls/42")?.headers.accept).toBe(
      "application/vnd.github.diff",
    );
  });

  it("uses an owner's wildcard environment when the repository has none of its own", async () => {
    const d = started(
      await decide("issue_comment", issueComment({}), { environments: { "ACME/*": "env_acme" } }),
    );
    expect(d.triggerConfig?.environment_id).toBe("env_acme");
  });

  it("ignores a mention by someone without write access, and does not touch GitHub", async () => {
    for (const association of ["NONE", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR"])
      await ignored(
        decide("issue_comment", issueComment({ association })),
        /^not permitted: maintainer is/,
      );
    expect(gh.calls).toEqual([]);
  });

  it("lets an integration allow more associations", async () => {
    started(
      await decide("issue_comment", issueComment({ association: "CONTRIBUTOR" }), {
        allowed_associations: ["OWNER", "CONTRIBUTOR"],
      }),
    );
  });

  it("ignores its own comments: the marker, the App, the bot login", async () => {
    const ours = "Ambit is on it @ambit\n<!-- ambit:run=run_1 v=1 -->";
    await ignored(decide("issue_comment", issueComment({ body: ours })), /^own event/);
    const viaApp = {
      ...integration({ apiBaseUrl: gh.url }),
      credentials: { app_id: "77", private_key: FAKE_PEM, webhook_secret: SECRET },
    };
    const d = await decideFor(viaApp, issueComment({ viaApp: 77 }));
    expect(d).toMatchObject({ kind: "ignore", reason: expect.stringMatching(/^own event/) });
    await ignored(
      decide("issue_comment", issueComment({ login: "ambit-dev[bot]" }), {
        bot_login: "Ambit-Dev[bot]",
      }),
      /^own event: issue_comment.created by ambit-dev\[bot\]/,
    );
  });

  it("ignores edits, comments without the handle, and mentions only in code or quotes", async () => {
    await ignored(
      decide("issue_comment", issueComment({ action: "edited" })),
      /^filter: issue_comment.edited/,
    );
    const quiet = [
      "looks good",
      "mail me@ambit.dev",
      "@ambitious idea",
      "```\n@ambit fix\n```",
      "> @ambit fix\nthanks",
      "run `@ambit fix`",
    ];
    for (const body of quiet)
      await ignored(decide("issue_comment", issueComment({ body })), /does not mention @ambit/);
    started(await decide("issue_comment", issueComment({ body: "Hey @AMBIT, fix it" })));
    started(await decide("issue_comment", issueComment({ body: "@bot fix" }), { handle: "@bot" }));
  });

  it("ignores a mention when the trigger is off", async () => {
    await ignored(
      decide("issue_comment", issueComment({}), { triggers: { mention: false } }),
      /mention trigger is off/,
    );
  });

  it("keeps a run when the reaction fails", async () => {
    gh.fail({ path: /\/reactions$/, status: 500, times: 1 });
    started(await decide("issue_comment", issueComment({})));
  });

  it("fails the delivery when GitHub refuses the credentials", async () => {
    gh.fail({ path: /\/comments$/, status: 401, body: { message: "Bad credentials" }, times: 1 });
    await expect(decide("issue_comment", issueComment({ comments: 3 }))).rejects.toMatchObject({
      code: "external_authentication_required",
    });
  });
});

describe("other events", () => {
  it("ignores ping, unknown events and repositories outside the list", async () => {
    await ignored(decide("ping", { zen: "Design for failure.", hook_id: 1 }), /^ping/);
    await ignored(
      decide("star", {
        action: "created",
        repository: { name: "api", full_name: "acme/api", owner: { login: "acme" }, html_url: "h" },
      }),
      /^unknown event: star.created/,
    );
    await ignored(
      decide("issue_comment", issueComment({}), { repositories: ["acme/web", "other/*"] }),
      /^filter: acme\/api is not in the integration's repositories/,
    );
    started(await decide("issue_comment", issueComment({}), { repositories: ["acme/*"] }));
    await ignored(
      decide("issue_comment", { action: "created", repository: issueComment({}).repository }),
      /lacks fields/,
    );
  });

  it("label: starts a run for a configured label only", async () => {
    const d = started(await decide("issues", issueLabeled("Ambit")));
    expect(d.request.prompt).toContain("Work on this GitHub Issue");
    expect(d.followup).toBeUndefined();
    expect(gh.reactions).toEqual([]);
    await ignored(decide("issues", issueLabeled("wontfix")), /label wontfix is not one of ambit/);
    await ignored(
      decide("issues", issueLabeled("ambit", "unlabeled")),
      /^filter: issues.unlabeled/,
    );
    await ignored(
      decide("issues", issueLabeled("ambit"), { triggers: { label: false } }),
      /label trigger is off/,
    );
    started(await decide("issues", issueLabeled("agent"), { labels: ["agent"] }));
  });

  it("pull_request: reviews opened, updated, reopened and ready PRs with their diff", async () => {
    gh.diffs.set("acme/api#7", "diff --git a/y b/y\n");
    for (const action of ["opened", "synchronize", "reopened", "ready_for_review"]) {
      const d = started(await decide("pull_request", pullRequest({ action })));
      expect(d.request.title).toBe("Review acme/api#7: Speed up login");
      expect(d.request.prompt).toContain("diff --git a/y b/y");
      expect(d.thread.key).toBe("github:acme/api#7");
      expect(d.request.metadata).toMatchObject({ github_pr: "7", github_branch: "speed-login" });
    }
    await ignored(
      decide("pull_request", pullRequest({ action: "closed" })),
      /^filter: pull_request.closed/,
    );
    await ignored(decide("pull_request", pullRequest({ draft: true })), /draft/);
    await ignored(
      decide("pull_request", pullRequest({ ref: "ambit/run_1" })),
      /^own event: ambit\/run_1/,
    );
    await ignored(
      decide("pull_request", pullRequest({ association: "NONE" })),
      /^not permitted: contributor is NONE/,
    );
    await ignored(
      decide("pull_request", pullRequest(), { triggers: { pull_request: false } }),
      /pull_request trigger is off/,
    );
  });

  it("ci_failure: a failed workflow run brings the failing jobs' log tails", async () => {
    gh.jobs.set(555, [
      { id: 1, name: "lint", conclusion: "success" },
      { id: 2, name: "test", conclusion: "failure" },
    ]);
    gh.logs.set(1, "lint ok");
    gh.logs.set(2, `${"x".repeat(50_000)}\nError: expected 2, got 3\n`);
    const d = started(
      await decide("workflow_run", workflowRun({ prs: [7] }), { limits: { log_chars: 1000 } }),
    );
    expect(d.request.title).toBe("Fix CI in acme/api#7: CI failed on main");
    expect(d.request.prompt).toContain('Failing job "test" (its last 1000 characters');
    expect(d.request.prompt).toContain("Error: expected 2, got 3");
    expect(d.request.prompt).not.toContain("lint ok");
    expect(d.request.prompt.length).toBeLessThan(3000);
    expect(d.thread.key).toBe("github:acme/api#7");
    expect(d.thread.url).toBe("https://github.com/acme/api/actions/runs/555");
  });

  it("ci_failure: without a pull request the thread is the branch", async () => {
    gh.jobs.set(555, []);
    const d = started(await decide("workflow_run", workflowRun({})));
    expect(d.thread.key).toBe("github:acme/api@main");
    expect(d.thread.state).not.toHaveProperty("issue_number");
    expect(d.request.metadata).not.toHaveProperty("github_pr");
  });

  it("ci_failure: ignores success, forks, the agent's branches and a switched-off trigger", async () => {
    await ignored(
      decide("workflow_run", workflowRun({ conclusion: "success" })),
      /concluded success/,
    );
    await ignored(
      decide("workflow_run", workflowRun({ fork: true })),
      /^not permitted: the workflow ran on a fork/,
    );
    await ignored(decide("workflow_run", workflowRun({ branch: null })), /fork's branch/);
    await ignored(decide("workflow_run", workflowRun({ branch: "ambit/run_9" })), /^own event/);
    await ignored(
      decide("workflow_run", workflowRun(), { triggers: { ci_failure: false } }),
      /ci_failure trigger is off/,
    );
  });

  it("ci_failure: a failed check suite of another app brings its check runs' output", async () => {
    gh.checkRuns.set(777, [
      {
        id: 5,
        name: "build",
        conclusion: "failure",
        output: { title: "Build failed", summary: "make: *** [all] Error 2" },
      },
      { id: 6, name: "docs", conclusion: "success", output: { title: "ok" } },
    ]);
    const d = started(await decide("check_suite", checkSuite()));
    expect(d.request.prompt).toContain('Failing check "build"');
    expect(d.request.prompt).toContain("make: *** [all] Error 2");
    expect(d.thread.url).toBe("https://github.com/acme/api/commit/abc");
    await ignored(
      decide("check_suite", checkSuite({ slug: "github-actions" })),
      /taken from workflow_run/,
    );
  });
});

describe("caps and templates", () => {
  it("keeps only the last comments, each cut to its limit", async () => {
    for (let i = 1; i <= 30; i++)
      gh.addComment("acme/api", 42, { body: `comment ${i} ${"y".repeat(i === 30 ? 500 : 1)}` });
    const d = started(
      await decide("issue_comment", issueComment({ comments: 31, commentId: 1 }), {
        limits: { comments: 5, comment_chars: 100 },
      }),
    );
    expect(d.request.prompt).toContain("(25 earlier comments left out)");
    expect(d.request.prompt).not.toContain("comment 25 ");
    expect(d.request.prompt).toContain("comment 26 ");
    expect(d.request.prompt).toContain("more characters left out");
  });

  it("fetches the last page of a long thread", async () => {
    for (let i = 1; i <= 150; i++) gh.addComment("acme/api", 42, { body: `c${i}` });
    const d = started(
      await decide("issue_comment", issueComment({ comments: 150 }), { limits: { comments: 3 } }),
    );
    expect(d.request.prompt).toMatch(/c148[\s\S]*c149[\s\S]*c150/);
    expect(gh.calls.find((c) => c.path.endsWith("/issues/42/comments"))?.query.page).toBe("2");
  });

  it("cuts the diff to its limit and says so", async () => {
    gh.diffs.set("acme/api#7", `diff --git a/z b/z\n${"+line\n".repeat(1000)}`);
    const d = started(await decide("pull_request", pullRequest(), { limits: { diff_chars: 200 } }));
    expect(d.request.prompt).toContain("(its first 200 characters; the rest is left out)");
    expect(d.request.prompt.match(/\+line/g)?.length).toBeLessThan(40);
  });

  it("notes a diff GitHub will not give instead of failing", async () => {
    gh.fail({
      path: /\/pulls\/7$/,
      status: 406,
      body: { message: "Sorry, the diff exceeded the maximum number of lines" },
      times: 1,
    });
    const d = started(await decide("pull_request", pullRequest()));
    expect(d.request.prompt).toContain("The diff could not be read from GitHub");
  });

  it("fills a custom template and keeps the prompt within a run's limit", async () => {
    const d = started(
      await decide("issue_comment", issueComment({ body: `@ambit ${"z".repeat(150_000)}` }), {
        prompts: {
          mention: "In {{repository}} #{{number}} ({{kind}}) {{author}} says: {{request}}",
        },
      }),
    );
    expect(d.request.prompt.startsWith("In acme/api #42 (Issue) @maintainer says: zzz")).toBe(true);
    expect(d.request.prompt.length).toBeLessThanOrEqual(100_000);
  });

  it("uses the integration's prompt_template, with payload fields, below a trigger's own", async () => {
    const i = integration({ apiBaseUrl: gh.url });
    i.promptTemplate =
      "{{author}} on {{payload.issue.title}} ({{payload.comment.id}}{{payload.nope.x}})";
    const d = started(await decideFor(i, issueComment({})));
    expect(d.request.prompt).toBe("@maintainer on Login fails on Safari (9001)");
    i.settings.prompts.mention = "mine: {{request}}";
    const again = await decideFor(i, issueComment({}));
    expect(started(again).request.prompt).toBe("mine: please fix this");
  });

  it("fails, naming the fix, when stored settings no longer validate", async () => {
    const i = { ...integration({ apiBaseUrl: gh.url }), settings: { triggers: "all" } };
    await expect(decideFor(i, issueComment({}))).rejects.toMatchObject({
      code: "integration_not_configured",
    });
  });

  it("refuses a template with an unknown placeholder", () => {
    const r = GitHubSettings.safeParse({ prompts: { label: "Fix {{titel}}" } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain("{{titel}}");
  });
});
