// The action's small helpers: outputs in the heredoc form GitHub reads (a value cannot inject a
// second output), workflow commands escaped as the toolkit escapes them, inputs read and checked.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { command, workflowCommands } from "../../../packages/action/src/commands.ts";
import { capBytes, envFiles, formatOutput } from "../../../packages/action/src/env-files.ts";
import { githubMetadata } from "../../../packages/action/src/github-context.ts";
import { InputError, readInputs } from "../../../packages/action/src/inputs.ts";
import { parseOutputFile } from "../../fakes/actions-runner.ts";

const dir = mkdtempSync(path.join(tmpdir(), "ambit-action-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("formatOutput", () => {
  it("writes every value in the heredoc form with a random ghadelimiter_ delimiter", () => {
    const text = formatOutput("run_id", "abc");
    expect(text).toMatch(/^run_id<<(ghadelimiter_[0-9a-f-]{36})\nabc\n\1\n$/);
    expect(formatOutput("a", "x")).not.toBe(formatOutput("a", "x"));
  });

  it("keeps a multiline value whole, and a line that looks like an output does not become one", () => {
    const hostile = "line one\nstate=SUCCEEDED\nEOF\nsummary<<EOF\nowned\nEOF";
    const file = path.join(dir, "out-hostile");
    const files = envFiles({ GITHUB_OUTPUT: file }, () => {});
    files.setOutput("summary", hostile);
    files.setOutput("state", "FAILED");
    expect(parseOutputFile(readFileSync(file, "utf8"))).toEqual({
      summary: hostile,
      state: "FAILED",
    });
  });

  it("refuses a value holding its delimiter, and a name that is not one", () => {
    expect(() => formatOutput("s", "a\nD\nb", "D")).toThrow(/delimiter/);
    expect(() => formatOutput("bad name", "x")).toThrow(/output name/);
  });

  it("appends the summary and warns instead of failing outside Actions", () => {
    const warned: string[] = [];
    const file = path.join(dir, "summary");
    envFiles({ GITHUB_STEP_SUMMARY: file }, (m) => warned.push(m)).appendSummary("# one\n");
    envFiles({ GITHUB_STEP_SUMMARY: file }, (m) => warned.push(m)).appendSummary("two\n");
    expect(readFileSync(file, "utf8")).toBe("# one\ntwo\n");
    envFiles({}, (m) => warned.push(m)).setOutput("run_id", "x");
    expect(warned).toEqual([
      "GITHUB_OUTPUT is not set: this step is not running in GitHub Actions",
    ]);
  });

  it("cuts a summary past the limit on a character boundary, saying so", () => {
    const cut = capBytes("é".repeat(100), 51);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(51);
    expect(cut).toMatch(/^é+\n\n… \(cut/);
    expect(capBytes("short", 51)).toBe("short");
  });
});

describe("workflow commands", () => {
  it("escapes a message so it cannot end its line and start another command", () => {
    expect(command("error", "50% done\r\n::add-mask::x")).toBe(
      "::error::50%25 done%0D%0A::add-mask::x\n",
    );
    expect(command("error", "m", { title: "a: b, c", file: undefined })).toBe(
      "::error title=a%3A b%2C c::m\n",
    );
  });

  it("masks, groups and reports errors on the step's stdout", () => {
    let out = "";
    const log = workflowCommands({ write: (t: string) => (out += t) });
    log.addMask("k3y");
    log.addMask("");
    log.group("Start");
    log.info("hello");
    log.endGroup();
    log.error("boom", "Title");
    expect(out).toBe(
      "::add-mask::k3y\n::group::Start\nhello\n::endgroup::\n::error title=Title::boom\n",
    );
  });
});

describe("readInputs", () => {
  const base = { INPUT_API_KEY: "k", INPUT_BASE_URL: "https://a.example", INPUT_PROMPT: "p" };

  it("maps the inputs onto POST /agent/runs; wait defaults to true and the timeout to 60 minutes", () => {
    expect(
      readInputs({
        ...base,
        INPUT_ENVIRONMENT: "env1",
        INPUT_MODEL: "m1",
        INPUT_AGENT: "ag1",
        INPUT_TITLE: " T ",
        INPUT_SHARE: "team:edit, public:view",
        INPUT_METADATA: '{"ticket": "OPS-1", "n": 2}',
      }),
    ).toEqual({
      baseUrl: "https://a.example",
      apiKey: "k",
      wait: true,
      timeoutMinutes: 60,
      body: {
        prompt: "p",
        agent_identity_uid: "ag1",
        title: "T",
        config: { environment_id: "env1", model_id: "m1" },
        sharing: { team: "EDITOR", public: "VIEWER" },
        metadata: { ticket: "OPS-1", n: "2" },
      },
    });
    expect(readInputs({ ...base, INPUT_WAIT: "false", INPUT_TIMEOUT_MINUTES: "0" })).toMatchObject({
      wait: false,
      timeoutMinutes: 0,
    });
    // Oz's names
    expect(
      readInputs({ INPUT_WARP_API_KEY: "w", INPUT_API_URL: "http://h/api/v1", INPUT_PROMPT: "p" }),
    ).toMatchObject({ apiKey: "w", baseUrl: "http://h/api/v1" });
  });

  it.each([
    [{ INPUT_API_KEY: "" }, /api_key is empty/],
    [{ INPUT_BASE_URL: "" }, /base_url is empty/],
    [{ INPUT_BASE_URL: "ambit.example.com" }, /base_url is 'ambit.example.com'/],
    [{ INPUT_PROMPT: "" }, /prompt is empty/],
    [{ INPUT_WAIT: "yes" }, /wait is 'yes'; use true or false/],
    [{ INPUT_TIMEOUT_MINUTES: "soon" }, /timeout_minutes is 'soon'/],
    [{ INPUT_SHARE: "public" }, /'public' is not a recipient/],
    [{ INPUT_SHARE: "team, team:edit" }, /names team twice/],
    [{ INPUT_METADATA: "{nope" }, /metadata is not JSON/],
    [{ INPUT_METADATA: "[1]" }, /metadata must be a JSON object/],
    [{ INPUT_METADATA: '{"a": {}}' }, /'a' must be a string/],
  ])("%j is an InputError naming the input", (env, message) => {
    expect(() => readInputs({ ...base, ...env })).toThrow(InputError);
    expect(() => readInputs({ ...base, ...env })).toThrow(message);
  });
});

describe("githubMetadata", () => {
  it("names the workflow run, repository, commit, ref and event; leaves out what is unset", () => {
    expect(
      githubMetadata({
        GITHUB_SERVER_URL: "https://github.com/",
        GITHUB_REPOSITORY: "o/r",
        GITHUB_RUN_ID: "42",
        GITHUB_RUN_ATTEMPT: "2",
        GITHUB_SHA: "abc",
        GITHUB_REF: "refs/heads/main",
        GITHUB_EVENT_NAME: "push",
      }),
    ).toEqual({
      github_workflow_run_url: "https://github.com/o/r/actions/runs/42",
      github_repository: "o/r",
      github_run_id: "42",
      github_run_attempt: "2",
      github_sha: "abc",
      github_ref: "refs/heads/main",
      github_event_name: "push",
    });
    expect(githubMetadata({})).toEqual({});
  });
});
