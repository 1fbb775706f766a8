// The built `ambit` binary managing shared configuration against a real `wrangler dev`: secrets
// (the value from stdin, a file or a hidden prompt, never printed, never stored), environments,
// the model catalog and a run that picks a model, saved prompts and named agents used by
// `agent run`, MCP servers, rules, env vars, skills, team limits, --json, help, and errors that say
// what to fix.
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { freshConfigHome, runCli, startInTerminal } from "./cli-run.ts";
import { type E2eServer, type Json, startE2eServer } from "./helpers.ts";

let s: E2eServer;
let bin: string;
const dir = mkdtempSync(path.join(tmpdir(), "ambit-cli-config-"));

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "cli-config" })]);
});
afterAll(async () => {
  await s?.stop();
});

const ambit = (args: string[], input?: string, env: Record<string, string> = {}) =>
  runCli(bin, args, { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key, ...env }, input });
const parsed = (r: { code: number | null; stdout: string; stderr: string }) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
};
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("ambit secret", () => {
  it("set reads the value from stdin; it is never printed nor stored in the config file; set again updates", async () => {
    const home = freshConfigHome();
    expect(
      (
        await runCli(bin, ["login", "--url", s.url], {
          env: { XDG_CONFIG_HOME: home },
          input: `${s.key}\n`,
        })
      ).code,
    ).toBe(0);
    const value = `ghp_${randomUUID()}`;
    const set = await runCli(bin, ["secret", "set", "GITHUB_TOKEN", "--description", "for PRs"], {
      env: { XDG_CONFIG_HOME: home },
      input: `${value}\n`,
    });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe("Created team secret GITHUB_TOKEN\n");
    const again = await runCli(bin, ["secret", "set", "GITHUB_TOKEN", "--json"], {
      env: { XDG_CONFIG_HOME: home },
      input: `${value}-2`,
    });
    expect(parsed(again)).toMatchObject({
      name: "GITHUB_TOKEN",
      description: "for PRs",
      scope: { type: "Team" },
    });
    const list = await runCli(bin, ["secret", "list"], { env: { XDG_CONFIG_HOME: home } });
    expect(list.stdout).toMatch(/^GITHUB_TOKEN +team +raw_value +\S+ ago +for PRs$/m);
    const listJson = parsed(
      await runCli(bin, ["secret", "list", "--json"], { env: { XDG_CONFIG_HOME: home } }),
    );
    for (const out of [
      set.stdout,
      set.stderr,
      again.stdout,
      again.stderr,
      list.stdout,
      JSON.stringify(listJson),
      readFileSync(path.join(home, "ambit", "config.json"), "utf8"),
    ]) {
      expect(out).not.toContain(value);
    }
    expect(listJson.secrets.map((x: Json) => x.name)).toContain("GITHUB_TOKEN");
  });

  it("--from-file, --personal and --type; delete; on a terminal the value is asked for without echo", async () => {
    const secretFile = file("deploy-key", "-----BEGIN KEY-----\nabc\n-----END KEY-----\n");
    const created = parsed(
      await ambit([
        "secret",
        "set",
        "DEPLOY_KEY",
        "--from-file",
        secretFile,
        "--personal",
        "--type",
        "raw_value",
        "--json",
      ]),
    );
    expect(created).toMatchObject({ name: "DEPLOY_KEY", scope: { type: "User" } });
    expect(parsed(await ambit(["secret", "delete", "DEPLOY_KEY", "--personal", "--json"]))).toEqual(
      { name: "DEPLOY_KEY", scope: "personal", deleted: true },
    );
    const missing = await ambit(["secret", "delete", "DEPLOY_KEY", "--personal"]);
    expect(missing.code).toBe(5);

    const tty = startInTerminal(`${process.execPath} ${bin} secret set TTY_SECRET`, {
      env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key },
    });
    await tty.output(/Value of team secret TTY_SECRET \(hidden\): /);
    tty.child.stdin!.write("typed-secret-value\r");
    const r = await tty.done;
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Created team secret TTY_SECRET/);
    expect(r.stdout).not.toContain("typed-secret-value");
  });

  it("errors: a bad name (the API's rule, exit 1), a missing file (exit 2), an empty value, both scopes", async () => {
    const bad = await ambit(["secret", "set", "1-BAD"], "value");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: .*\(invalid_request\)$/m);
    expect(bad.stderr).toMatch(/^ {2}name: a secret name is a valid environment variable name/m);
    expect(bad.stderr).toMatch(/^fix: correct the values named above/m);
    const noFile = await ambit(["secret", "set", "X", "--from-file", path.join(dir, "nope")]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain(
      `error: cannot read --from-file ${path.join(dir, "nope")}: no such file`,
    );
    expect(noFile.stderr).toMatch(/^fix: check the path/m);
    const empty = await ambit(["secret", "set", "X"], "");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/empty\nfix: pipe it in/);
    expect((await ambit(["secret", "set", "X", "--personal", "--team"], "v")).code).toBe(2);
    expect((await ambit(["secret", "set", "X", "--value", "leak"])).code).toBe(2); // there is no flag for the value

    const m = parsed(await ambit(["member", "add", `sec-${randomUUID()}@example.com`, "--json"]));
    const key = parsed(await ambit(["api-key", "create", "sec", "--user", m.uid, "--json"])).key;
    const denied = await ambit(["secret", "set", "MINE"], "v", { AMBIT_API_KEY: key });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(
      /^fix: only admins write team secrets; keep it to yourself with `ambit secret set MINE --personal`/m,
    );
    // the key an admin minted for the member is delegated: it reaches no personal secret …
    const delegated = await ambit(["secret", "set", "MINE", "--personal"], "v", {
      AMBIT_API_KEY: key,
    });
    expect(delegated.code).toBe(4);
    expect(delegated.stderr).toMatch(/needs a key you hold yourself/);
    // … until the member makes a key of their own with it
    const own = parsed(
      await ambit(["api-key", "create", "mine", "--json"], undefined, { AMBIT_API_KEY: key }),
    ).key;
    expect(
      (await ambit(["secret", "set", "MINE", "--personal"], "v", { AMBIT_API_KEY: own })).stdout,
    ).toBe("Created personal secret MINE\n");
  });
});

describe("ambit environment", () => {
  it("create from flags, list and get with --json, update adds and removes, delete", async () => {
    const env = parsed(
      await ambit([
        "environment",
        "create",
        "-n",
        "api",
        "-r",
        "acme/api#main",
        "-c",
        "npm ci",
        "--env",
        "CI=1",
        "--env",
        "URL=a=b",
        "--json",
      ]),
    );
    expect(env.config).toMatchObject({
      name: "api",
      repositories: [{ url: "acme/api", ref: "main" }],
      setup_commands: ["npm ci"],
      env_vars: { CI: "1", URL: "a=b" },
    });
    expect(
      parsed(await ambit(["environment", "list", "--json"])).environments.map((e: Json) => e.uid),
    ).toContain(env.uid);
    expect((await ambit(["environment", "list"])).stdout).toMatch(
      new RegExp(`^${env.uid} +api +acme/api `, "m"),
    );
    const updated = parsed(
      await ambit([
        "environment",
        "update",
        env.uid,
        "-c",
        "npm run build",
        "--unset-env",
        "URL",
        "--remove-repo",
        "acme/api",
        "-r",
        "acme/web",
        "--json",
      ]),
    );
    expect(updated.config).toMatchObject({
      setup_commands: ["npm ci", "npm run build"],
      env_vars: { CI: "1" },
      repositories: [{ url: "acme/web" }],
    });
    expect((await ambit(["environment", "get", env.uid])).stdout).toMatch(
      /^Setup: +npm ci && npm run build$/m,
    );
    expect(parsed(await ambit(["environment", "delete", env.uid, "--json"]))).toEqual({
      uid: env.uid,
      deleted: true,
    });
    const gone = await ambit(["environment", "get", env.uid]);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toMatch(/\(resource_not_found\)/);
  });

  it("create from a JSON file (flags override it); a missing or broken file and a missing name are usage errors", async () => {
    const json = file(
      "env.json",
      JSON.stringify({ name: "from-file", docker_image: "node:22", setup_commands: ["make"] }),
    );
    const env = parsed(
      await ambit(["environment", "create", "--file", json, "-d", "node:24", "--json"]),
    );
    expect(env.config).toMatchObject({
      name: "from-file",
      docker_image: "node:24",
      setup_commands: ["make"],
    });
    const missing = await ambit([
      "environment",
      "create",
      "--file",
      path.join(dir, "missing.json"),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --file .*missing\.json: no such file/);
    const broken = await ambit(["environment", "create", "--file", file("broken.json", "{name:")]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/is not valid JSON/);
    const noName = await ambit(["environment", "create", "-r", "acme/api"]);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toMatch(/needs a name: -n <name>/);
  });
});

describe("ambit model, and agent run using configuration", () => {
  it("model add, then agent run --model picks the catalog entry (agent_config.model); update, default, remove", async () => {
    const added = parsed(
      await ambit([
        "model",
        "add",
        "local",
        "--provider",
        "openai",
        "--model",
        "qwen3",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--json",
      ]),
    );
    expect(added).toMatchObject({ id: "local", api: "openai", model: "qwen3" });
    expect(parsed(await ambit(["model", "list", "--json"])).default_model_id).toBe("local"); // the first model is the default
    parsed(
      await ambit([
        "model",
        "add",
        "big",
        "--provider",
        "anthropic",
        "--model",
        "claude-sonnet-4-5",
        "--json",
      ]),
    );
    const run = parsed(
      await ambit([
        "agent",
        "run",
        "-p",
        "use the local model",
        "--model",
        "local",
        "--no-follow",
        "--json",
      ]),
    );
    const got = parsed(await ambit(["run", "get", run.run_id, "--json"]));
    expect(got.agent_config).toMatchObject({
      model_id: "local",
      model: { id: "local", model: "qwen3", base_url: "http://127.0.0.1:9/v1" },
    });

    const updated = parsed(
      await ambit(["model", "update", "local", "--model", "qwen3-32b", "--json"]),
    );
    expect(updated).toMatchObject({
      model: "qwen3-32b",
      base_url: "http://127.0.0.1:9/v1",
      is_default: true,
    }); // the rest kept
    expect(parsed(await ambit(["model", "default", "big", "--json"])).is_default).toBe(true);
    expect(parsed(await ambit(["model", "list", "--json"])).default_model_id).toBe("big");
    expect((await ambit(["model", "list"])).stdout).toMatch(
      /^big +anthropic +claude-sonnet-4-5 +- +- +yes$/m,
    );
    const dup = await ambit(["model", "add", "local", "--provider", "openai", "--model", "x"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/fix: change it with `ambit model update local/);
    expect((await ambit(["model", "update", "nope", "--model", "x"])).code).toBe(5);
    expect((await ambit(["model", "add", "x", "--provider", "google", "--model", "x"])).code).toBe(
      2,
    );
    expect(parsed(await ambit(["model", "remove", "local", "--json"]))).toEqual({
      id: "local",
      removed: true,
    });
  });

  it("prompt create, agent run --saved-prompt <name>; agent create, agent run --agent <uid>", async () => {
    const prompt = parsed(
      await ambit(["prompt", "create", "triage", "-p", "Triage the newest issues.", "--json"]),
    );
    expect((await ambit(["prompt", "list"])).stdout).toMatch(
      new RegExp(`^${prompt.uid} +triage +Triage the newest issues\\.$`, "m"),
    );
    parsed(await ambit(["prompt", "update", prompt.uid, "--description", "daily", "--json"]));
    const fromPrompt = parsed(
      await ambit(["agent", "run", "--saved-prompt", "triage", "--no-follow", "--json"]),
    );
    const run1 = parsed(await ambit(["run", "get", fromPrompt.run_id, "--json"]));
    expect(run1).toMatchObject({
      prompt: "Triage the newest issues.",
      agent_config: { saved_prompt: prompt.uid },
    });

    const agent = parsed(
      await ambit([
        "agent",
        "create",
        "-n",
        "triager",
        "--prompt",
        "You triage.",
        "--base-model",
        "gpt-5",
        "--json",
      ]),
    );
    expect(agent).toMatchObject({ name: "triager", base_model: "gpt-5" });
    expect(
      parsed(await ambit(["agent", "list", "--json"])).agents.map((a: Json) => a.uid),
    ).toContain(agent.uid);
    const changed = parsed(
      await ambit([
        "agent",
        "update",
        agent.uid,
        "--description",
        "triages issues",
        "--skill",
        "acme/api:review",
        "--json",
      ]),
    );
    expect(changed).toMatchObject({
      description: "triages issues",
      skills: ["acme/api:review"],
      base_model: "gpt-5",
    });
    expect((await ambit(["agent", "get", agent.uid])).stdout).toMatch(
      /^Skills: +acme\/api:review$/m,
    );
    const asAgent = parsed(
      await ambit(["agent", "run", "--agent", agent.uid, "-p", "today", "--no-follow", "--json"]),
    );
    expect(
      parsed(await ambit(["run", "get", asAgent.run_id, "--json"])).agent_config,
    ).toMatchObject({ agent_identity_uid: agent.uid });
    const unknown = await ambit(["agent", "run", "--saved-prompt", "nope", "--no-follow"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/saved_prompt: .*nope/);
    expect((await ambit(["agent", "run", "--no-follow"])).code).toBe(2);
    expect(parsed(await ambit(["agent", "delete", agent.uid, "--json"]))).toEqual({
      uid: agent.uid,
      deleted: true,
    });
    expect(parsed(await ambit(["prompt", "delete", prompt.uid, "--json"]))).toEqual({
      uid: prompt.uid,
      deleted: true,
    });
  });
});

describe("mcp, rule, env-var, skill, team", () => {
  it("mcp add/list/get/update/remove and rule create/list/update/delete", async () => {
    const mcp = parsed(
      await ambit([
        "mcp",
        "add",
        "github",
        "--command",
        "npx",
        "--arg=-y",
        "--arg",
        "server-github",
        "--env",
        "GITHUB_TOKEN=${GITHUB_TOKEN}",
        "--json",
      ]),
    );
    expect(mcp.config).toEqual({
      command: "npx",
      args: ["-y", "server-github"],
      env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" },
    });
    expect((await ambit(["mcp", "list"])).stdout).toMatch(
      new RegExp(`^${mcp.uid} +github +npx -y server-github`, "m"),
    );
    const http = parsed(
      await ambit([
        "mcp",
        "update",
        mcp.uid,
        "--url",
        "https://mcp.example.com/mcp",
        "--header",
        "Authorization=Bearer ${T}",
        "--json",
      ]),
    );
    expect(http.config).toEqual({
      url: "https://mcp.example.com/mcp",
      headers: { Authorization: "Bearer ${T}" },
    });
    expect(parsed(await ambit(["mcp", "get", mcp.uid, "--json"])).name).toBe("github");
    expect((await ambit(["mcp", "add", "none"])).code).toBe(2);
    expect(parsed(await ambit(["mcp", "remove", mcp.uid, "--json"]))).toEqual({
      uid: mcp.uid,
      removed: true,
    });

    const rule = parsed(
      await ambit(["rule", "create", "style", "--file", file("STYLE.md", "Use tabs.\n"), "--json"]),
    );
    expect(rule).toMatchObject({ name: "style", content: "Use tabs.\n", enabled: true });
    expect(parsed(await ambit(["rule", "update", rule.uid, "--disable", "--json"]))).toMatchObject({
      enabled: false,
      content: "Use tabs.\n",
    });
    expect((await ambit(["rule", "list"])).stdout).toMatch(
      new RegExp(`^${rule.uid} +style +no +Use tabs\\.$`, "m"),
    );
    expect(parsed(await ambit(["rule", "delete", rule.uid, "--json"]))).toEqual({
      uid: rule.uid,
      deleted: true,
    });
  });

  it("env-var set/list/unset, skill add/list/remove", async () => {
    expect(parsed(await ambit(["env-var", "set", "NODE_ENV", "test", "--json"]))).toMatchObject({
      name: "NODE_ENV",
      value: "test",
    });
    expect((await ambit(["env-var", "list"])).stdout).toMatch(/^NODE_ENV +test$/m);
    expect(parsed(await ambit(["env-var", "unset", "NODE_ENV", "--json"]))).toEqual({
      name: "NODE_ENV",
      deleted: true,
    });
    expect((await ambit(["env-var", "unset", "NODE_ENV"])).code).toBe(5);

    const skillDir = path.join(dir, ".claude", "skills", "review");
    mkdirSync(skillDir, { recursive: true });
    writeFileSync(
      path.join(skillDir, "SKILL.md"),
      "---\nname: review\ndescription: Reviews a pull request\n---\nReview it.\n",
    );
    const added = await runCli(
      bin,
      ["skill", "add", ".claude/skills/review/SKILL.md", "--repo", "acme/api", "--json"],
      { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key }, cwd: dir },
    );
    expect(parsed(added)).toEqual({
      id: "acme/api:.claude/skills/review/SKILL.md",
      name: "review",
      error: null,
    });
    expect((await ambit(["skill", "list"])).stdout).toMatch(
      /^review +acme\/api:\.claude\/skills\/review\/SKILL\.md +- +Reviews a pull request$/m,
    );
    expect(
      parsed(await ambit(["skill", "remove", "acme/api:.claude/skills/review/SKILL.md", "--json"])),
    ).toMatchObject({ removed: true });
    const noFile = await ambit(["skill", "add", "nope/SKILL.md", "--repo", "acme/api"]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/cannot read file nope\/SKILL\.md: no such file/);
  });

  it("team update --max-concurrent-runs --max-run-time; team get; a bad duration; a member may not (exit 4)", async () => {
    const team = parsed(
      await ambit([
        "team",
        "update",
        "--max-concurrent-runs",
        "4",
        "--max-run-time",
        "4h",
        "--json",
      ]),
    );
    expect(team.limits).toEqual({ max_concurrent_runs: 4, max_run_time_seconds: 14_400 });
    expect(
      parsed(await ambit(["team", "update", "--max-run-time", "1h30m", "--json"])).limits,
    ).toEqual({ max_concurrent_runs: 4, max_run_time_seconds: 5400 });
    expect((await ambit(["team", "get"])).stdout).toMatch(
      /^Max concurrent runs: 4\nMax run time: +90m$/m,
    );
    const bad = await ambit(["team", "update", "--max-run-time", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-run-time wants a duration like/);
    const tooShort = await ambit(["team", "update", "--max-run-time", "5s"]);
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toMatch(/max_run_time_seconds/);
    expect((await ambit(["team", "update"])).code).toBe(2);
    const m = parsed(await ambit(["member", "add", `m-${randomUUID()}@example.com`, "--json"]));
    const key = parsed(await ambit(["api-key", "create", "m", "--user", m.uid, "--json"])).key;
    const denied = await ambit(["team", "update", "--max-concurrent-runs", "9"], undefined, {
      AMBIT_API_KEY: key,
    });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toMatch(/^fix: your key's role is too low/m);
  });
});

describe("help", () => {
  it("every configuration command has help with examples", async () => {
    const nouns = [
      "environment",
      "secret",
      "model",
      "mcp",
      "rule",
      "prompt",
      "env-var",
      "agent",
      "skill",
      "team",
    ];
    for (const noun of nouns) {
      const overview = await runCli(bin, [noun]);
      expect(overview.code, noun).toBe(0);
      const verbs = [...overview.stdout.matchAll(new RegExp(`^ {2}${noun} ([a-z-]+)`, "gm"))].map(
        (m) => m[1],
      );
      expect(verbs.length, noun).toBeGreaterThan(1);
      for (const verb of verbs) {
        const h = await runCli(bin, [noun, verb, "--help"]);
        expect(h.code, `${noun} ${verb}`).toBe(0);
        expect(h.stdout, `${noun} ${verb}`).toMatch(/Examples:\n {2}(ambit |printf)/);
      }
    }
  });
});
