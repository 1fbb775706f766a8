// The built `ambit` binary against a real `wrangler dev`: login and the config file, whoami,
// environment overrides, --json output of every admin command, and errors that say what to fix.
import { randomUUID } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { freePort } from "../../scripts/lib/wrangler-dev.ts";
import { freshConfigHome, runCli, startInTerminal } from "./cli-run.ts";
import { api, type E2eServer, type Json, signUp, startE2eServer, waitFor } from "./helpers.ts";
import { ScriptedHost } from "./scripted-host.ts";

let s: E2eServer;
let bin: string;

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "cli" })]);
});
afterAll(async () => {
  await s?.stop();
});

/** Runs ambit with the server's URL and owner key in the environment. */
const ambit = (args: string[], env: Record<string, string> = {}, input?: string) =>
  runCli(bin, args, { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key, ...env }, input });

const parsed = (r: { code: number | null; stdout: string; stderr: string }) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
};

describe("login, whoami and where the settings come from", () => {
  it("login reads the key from stdin, checks it, and stores URL and key with mode 0600; whoami uses them", async () => {
    const home = freshConfigHome();
    const login = await runCli(bin, ["login", "--url", s.url], {
      env: { XDG_CONFIG_HOME: home },
      input: `${s.key}\n`,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toMatch(/Logged in to .* as user .* \(owner\) on team cli/);
    expect(login.stderr).not.toMatch(/warning/);
    const file = path.join(home, "ambit", "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ base_url: s.url, api_key: s.key });

    const who = await runCli(bin, ["whoami"], { env: { XDG_CONFIG_HOME: home } });
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toContain(`Principal: user ${s.owner.uid}`);
    expect(who.stdout).toContain("Role:      owner");
    expect(who.stdout).toContain("Key from:  ambit login (config file)");
    const whoJson = parsed(
      await runCli(bin, ["whoami", "--json"], { env: { XDG_CONFIG_HOME: home } }),
    );
    expect(whoJson).toMatchObject({
      uid: s.team.uid,
      name: "cli",
      caller: { uid: s.owner.uid, role: "owner" },
      base_url: s.url,
      key_source: "config",
    });

    // AMBIT_API_KEY overrides the stored key (here with a bad one), AMBIT_BASE_URL the stored URL
    const bad = await runCli(bin, ["whoami"], {
      env: { XDG_CONFIG_HOME: home, AMBIT_API_KEY: "ambit_not_a_key" },
    });
    expect(bad.code).toBe(3);
    const elsewhere = await runCli(bin, ["whoami"], {
      env: { XDG_CONFIG_HOME: home, AMBIT_BASE_URL: `http://127.0.0.1:${await freePort()}` },
    });
    expect(elsewhere.code).toBe(6);

    const logout = await runCli(bin, ["logout"], { env: { XDG_CONFIG_HOME: home } });
    expect(logout.code).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ base_url: s.url });
    expect((await runCli(bin, ["whoami"], { env: { XDG_CONFIG_HOME: home } })).code).toBe(3);
  });

  it("on a terminal, login asks for the key with a hidden prompt (the key is never echoed)", async () => {
    const home = freshConfigHome();
    const cli = startInTerminal(`${process.execPath} ${bin} login --url ${s.url}`, {
      env: { XDG_CONFIG_HOME: home },
    });
    await cli.output(/API key for http:\/\/127\.0\.0\.1:\d+: /);
    cli.child.stdin!.write(`${s.key}\r`);
    const r = await cli.done;
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Logged in to /);
    expect(r.stdout).not.toContain(s.key);
    expect(JSON.parse(readFileSync(path.join(home, "ambit", "config.json"), "utf8")).api_key).toBe(
      s.key,
    );
  });

  it("login --key works for CI but warns; a refused key is not saved", async () => {
    const home = freshConfigHome();
    const withFlag = await runCli(bin, ["login", "--url", s.url, "--key", s.key, "--json"], {
      env: { XDG_CONFIG_HOME: home },
    });
    expect(parsed(withFlag)).toMatchObject({
      team: { uid: s.team.uid },
      config_path: path.join(home, "ambit", "config.json"),
    });
    expect(withFlag.stderr).toMatch(/warning: --key puts the key in your shell history/);

    const other = freshConfigHome();
    const refused = await runCli(bin, ["login", "--url", s.url], {
      env: { XDG_CONFIG_HOME: other },
      input: "ambit_wrong\n",
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/refused this key/);
    expect(refused.stderr).toMatch(/fix: /);
    expect(() => statSync(path.join(other, "ambit", "config.json"))).toThrow();
  });
});

describe("errors say what happened and how to fix it", () => {
  it("a bad key: the API's message, the fix, exit 3", async () => {
    const r = await ambit(["run", "list"], { AMBIT_API_KEY: "ambit_bogus" });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: .*\(authentication_required\)$/m);
    expect(r.stderr).toMatch(/^fix: .*ambit login/m);
    expect(r.stdout).toBe("");
    const asJson = await ambit(["run", "list", "--json"], { AMBIT_API_KEY: "ambit_bogus" });
    expect(asJson.code).toBe(3);
    expect(JSON.parse(asJson.stderr).error).toMatchObject({
      exit_code: 3,
      problem: { error_code: "authentication_required", status: 401 },
    });
  });

  it("an unreachable server: what was tried, the fix, exit 6", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await ambit(["run", "list"], { AMBIT_BASE_URL: url });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`error: could not reach ${url}: ECONNREFUSED`);
    expect(r.stderr).toMatch(/^fix: is the Ambit server running.*AMBIT_BASE_URL/m);
  });

  it("no key at all, an unknown run, invalid input, a bad flag", async () => {
    const none = await runCli(bin, ["run", "list"], { env: { AMBIT_BASE_URL: s.url } });
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no API key\nfix: run `ambit login`/);
    const missing = await ambit(["run", "get", randomUUID()]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/was not found in this team \(resource_not_found\)/);
    const invalid = await ambit(["run", "list", "--created-after", "yesterday"]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/invalid_request/);
    expect(invalid.stderr).toMatch(/created_after: .*RFC 3339/);
    const flag = await ambit(["agent", "run", "--prompt"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/fix: see `ambit agent run --help`/);
    const unknown = await ambit(["frobnicate"]);
    expect(unknown.code).toBe(2);
  });

  it("a viewer's key may not create runs: 403 with the fix, exit 4", async () => {
    const member = parsed(
      await ambit([
        "member",
        "add",
        `viewer-${randomUUID()}@example.com`,
        "--role",
        "viewer",
        "--json",
      ]),
    );
    const key = parsed(
      await ambit(["api-key", "create", "viewer-key", "--user", member.uid, "--json"]),
    ).key;
    const r = await ambit(["agent", "run", "-p", "not allowed", "--no-follow"], {
      AMBIT_API_KEY: key,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/\(not_authorized\)/);
    expect(r.stderr).toMatch(/^fix: your key's role is too low/m);
  });
});

describe("help", () => {
  it("every command has help with examples", async () => {
    const top = await runCli(bin, ["--help"]);
    expect(top.code).toBe(0);
    const commands = [
      ...top.stdout.matchAll(/^ {2}([a-z-]+(?: [a-z-]+)?)(?: <[^>]+>)? {2,}/gm),
    ].map((m) => m[1]);
    expect(commands).toEqual(
      expect.arrayContaining([
        "login",
        "whoami",
        "agent run",
        "run list",
        "run follow",
        "api-key create",
        "member add",
        "host list",
      ]),
    );
    for (const c of commands) {
      const h = await runCli(bin, [...c.split(" "), "--help"]);
      expect(h.code, c).toBe(0);
      expect(h.stdout, c).toMatch(/^Usage: ambit /m);
      expect(h.stdout, c).toMatch(/Examples:\n {2}ambit /);
    }
  });
});

describe("--json output of the admin commands", () => {
  it("api-key create/list/delete", async () => {
    const created = parsed(
      await ambit([
        "api-key",
        "create",
        "ci",
        "--role",
        "member",
        "--expires-in-days",
        "30",
        "--json",
      ]),
    );
    expect(created).toMatchObject({
      name: "ci",
      role: "member",
      key: expect.stringMatching(/^ambit_/),
      expires_at: expect.any(String),
    });
    const plain = await ambit(["api-key", "create", "plain"]);
    expect(plain.stdout).toMatch(/^ambit_\S+\n$/); // only the key on stdout, for `$(ambit api-key create …)`
    expect(plain.stderr).toMatch(/not shown again/);
    const list = parsed(await ambit(["api-key", "list", "--json"]));
    expect(list.api_keys.map((k: Json) => k.uid)).toContain(created.uid);
    expect(JSON.stringify(list)).not.toContain(created.key);
    const table = await ambit(["api-key", "list"]);
    expect(table.stdout).toMatch(/^UID +NAME +PREFIX +ROLE/);
    expect(parsed(await ambit(["api-key", "delete", created.uid, "--json"]))).toEqual({
      uid: created.uid,
      revoked: true,
    });
    expect((await ambit(["whoami"], { AMBIT_API_KEY: created.key })).code).toBe(3);
  });

  it("member add/list/update/remove", async () => {
    const email = `m-${randomUUID()}@example.com`;
    const m = parsed(await ambit(["member", "add", email, "--name", "Ada", "--json"]));
    expect(m).toMatchObject({ email, role: "member", display_name: "Ada" });
    expect(parsed(await ambit(["member", "update", m.uid, "--role", "admin", "--json"])).role).toBe(
      "admin",
    );
    expect(
      parsed(await ambit(["member", "list", "--json"])).members.map((x: Json) => x.email),
    ).toContain(email);
    expect((await ambit(["member", "list"])).stdout).toContain(email);
    expect(parsed(await ambit(["member", "remove", m.uid, "--json"]))).toEqual({
      uid: m.uid,
      removed: true,
    });
    expect(
      parsed(await ambit(["member", "list", "--json"])).members.map((x: Json) => x.email),
    ).not.toContain(email);
    const dup = await ambit(["member", "add", s.owner.email]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/\(conflict\)/);
  });

  it("host list", async () => {
    const clis = [
      { name: "claude", version: "2.1.340", tested: "2.1.332", in_tested_range: true },
      { name: "gemini", version: "0.62.1", tested: "0.61.0", in_tested_range: false },
    ];
    const host = await ScriptedHost.connect(s.url, s.key, "cli-hosts", 2, { clis });
    try {
      let hosts: Json[] = [];
      await waitFor(
        async () =>
          (hosts = parsed(await ambit(["host", "list", "--json"])).hosts).some(
            (h: Json) => h.worker_id === "cli-hosts" && h.capacity === 2,
          ),
        10_000,
        200,
      );
      expect(hosts).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ worker_id: "cli-hosts", capacity: 2, running: [], clis }),
        ]),
      );
      const listed = (await ambit(["host", "list"])).stdout;
      expect(listed).toMatch(/^cli-hosts +\S+ +0\/2 /m);
      // the CLI outside the tested range says so, naming the tested version
      expect(listed).toMatch(
        /^cli-hosts .* claude 2\.1\.340, gemini 0\.62\.1 \(untested; tested 0\.61\.0\)$/m,
      );
    } finally {
      host.close();
    }
  });
});

describe("stats", () => {
  it("ambit stats: the last 30 days as a table, --json the API's answer, --group-by; bad input says what to fix", async () => {
    const team = await signUp(s.url, "cli-stats");
    const env = { AMBIT_API_KEY: team.api_key };
    // two runs for a host that never comes: one waits (QUEUED), one is cancelled
    const ids: string[] = [];
    for (const prompt of ["one", "two"]) {
      const created = await api(s.url, "POST", "/api/v1/agent/runs", {
        key: team.api_key,
        body: { prompt, config: { worker_host: "nobody" } },
      });
      ids.push(created.json.run_id);
    }
    expect(
      (await api(s.url, "POST", `/api/v1/agent/runs/${ids[1]}/cancel`, { key: team.api_key }))
        .status,
    ).toBe(200);

    const json = parsed(await ambit(["stats", "--json"], env));
    expect(json).toMatchObject({
      group_by: "day",
      tz: "UTC",
      total: 2,
      by_state: { QUEUED: 1, CANCELLED: 1 },
      success_rate: null,
    });
    expect(json.series).toHaveLength(30);
    const today = new Date().toISOString().slice(0, 10);
    const human = await ambit(["stats"], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Total: +2$/m);
    expect(human.stdout).toMatch(
      /^DAY +TOTAL +SUCCEEDED +FAILED +ERROR +CANCELLED +IN FLIGHT +SUCCESS$/m,
    );
    expect(human.stdout).toMatch(new RegExp(`^${today} +2 +0 +0 +0 +1 +1 +-$`, "m"));
    const byState = await ambit(["stats", "--group-by", "state", "--tz", "Europe/Paris"], env);
    expect(byState.stdout).toMatch(/^QUEUED +1 /m);
    expect(byState.stdout).toMatch(/\(Europe\/Paris\), by state/);

    const usage = await ambit(["stats", "--group-by", "week"], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--group-by is one of day, source/);
    const invalid = await ambit(["stats", "--from", "2020-01-01"], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/at most 92/);
  });
});

describe("usage", () => {
  it("ambit usage: the team's totals and a table by --group-by, --json the API's answer; bad input says what to fix", async () => {
    const team = await signUp(s.url, "cli-usage");
    const env = { AMBIT_API_KEY: team.api_key };
    const created = await api(s.url, "POST", "/api/v1/agent/runs", {
      key: team.api_key,
      body: { prompt: "spend nothing", config: { worker_host: "nobody", model_id: "m-usage" } },
    });
    expect(created.status, created.text).toBeLessThan(300);

    const json = parsed(await ambit(["usage", "--json"], env));
    expect(json).toMatchObject({ group_by: "day", tz: "UTC", total: { runs: 1, cost_usd: 0 } });
    expect(json.series).toHaveLength(30);
    const human = await ambit(["usage", "--group-by", "model"], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Cost: +\$0\.00$/m);
    expect(human.stdout).toMatch(/^Runs: +1 created, compute -?\S*/m);
    expect(human.stdout).toMatch(
      /^MODEL +COST USD +CALLS +FAILED +INPUT +OUTPUT +CACHE R +CACHE W +RUNS +COMPUTE$/m,
    );
    expect(human.stdout).toMatch(/^m-usage +0\.00 +0 +0 +0 +0 +0 +0 +1 +0ms$/m);

    const wrong = await ambit(["usage", "--group-by", "state"], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--group-by is one of day, member, model/);
    const long = await ambit(["usage", "--from", "2020-01-01", "--to", "2021-06-01"], env);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/at most 366/);
  });
});
