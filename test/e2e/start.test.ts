// `npm start` as a newcomer meets it: the script itself, on a free port and its own state
// directory, read through what it prints. (It creates the project's .dev.vars if missing, which
// is gitignored and what `npm start` does anyway.)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, HARMLESS_DEV_LINES, ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { buildConsoleIfMissing } from "../../scripts/lib/console-assets.ts";
import { api, waitFor } from "./helpers.ts";
import {
  alive,
  KEY_RE,
  LINK_RE,
  processesOnPort,
  processTree,
  procStat,
  RUNNING_RE,
  type Started,
  startPlatform,
} from "./platform-process.ts";

describe("npm start", () => {
  let stateDir: string;
  let port: number;
  const started: Started[] = [];
  const seenPids = new Set<number>();

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-start-"));
    port = await freePort();
    buildConsoleIfMissing(); // npm install built it; a checkout that skipped it builds it here
  });
  afterAll(async () => {
    // whatever a failed test left running: the script's process group and wrangler's (its own)
    for (const s of started)
      if (s.child.pid && alive(s.child.pid))
        for (const pid of processTree(s.child.pid)) seenPids.add(pid);
    const groups = new Set<number>();
    for (const pid of seenPids) {
      const pgid = alive(pid) ? procStat(pid)?.pgid : undefined;
      if (pgid !== undefined && seenPids.has(pgid)) groups.add(pgid); // only groups one of ours leads
    }
    for (const pgid of groups) safeKill(-pgid, "SIGKILL");
    if (groups.size) await waitFor(() => [...seenPids].every((pid) => !alive(pid)), 5_000);
    rmSync(stateDir, { recursive: true, force: true });
  });

  function safeKill(pid: number, signal: NodeJS.Signals) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }

  /** Starts the platform and waits until it says it is running; records its process tree. */
  async function boot() {
    const s = startPlatform({ PORT: String(port), AMBIT_PERSIST_TO: stateDir });
    started.push(s);
    const [, url] = await s.waitForOutput(RUNNING_RE);
    for (const pid of processTree(s.child.pid!)) seenPids.add(pid);
    return { s, url };
  }

  /** Ctrl-C as a process manager sends it: SIGTERM to the script's process group. */
  async function stop(s: Started, minProcesses = 3) {
    const tree = processTree(s.child.pid!);
    for (const pid of tree) seenPids.add(pid);
    expect(tree.length, "wrangler (and workerd) run below the script").toBeGreaterThanOrEqual(
      minProcesses,
    );
    process.kill(-s.child.pid!, "SIGTERM");
    const exit = await Promise.race([
      s.exited,
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 20_000)),
    ]);
    expect(exit, s.output()).not.toBe("timeout");
    expect(
      await waitFor(() => tree.every((pid) => !alive(pid)), 10_000),
      `still alive: ${tree.filter(alive).join(", ")}`,
    ).toBe(true);
    expect(processesOnPort(port)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    return exit;
  }

  let key: string;

  /**
   * Opens a sign-in link as a browser does: a 303 with the session cookie, which then acts as the
   * bootstrap owner; the link works once.
   */
  async function signInWith(link: string) {
    const res = await fetch(link, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/");
    const cookie = /ambit_session=[^;]+/.exec(res.headers.get("set-cookie") ?? "")?.[0];
    expect(cookie, "the link sets the session cookie").toBeTruthy();
    const me = await fetch(new URL("/api/v1/me", link), { headers: { cookie: cookie! } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      user: { email: "admin@ambit.local" },
      team: { name: "default" },
      role: "owner",
      via: "session",
    });
    const again = await fetch(link, { redirect: "manual" });
    expect(again.headers.get("location")).toBe("/sign-in?error=link_expired");
  }

  /** `npm run <script>` (`owner-key`, `sign-in-link`) against this state, as the hints name them. */
  async function npmRun(
    script: "owner-key" | "sign-in-link",
  ): Promise<{ code: number | null; out: string }> {
    const child = spawn("npm", ["run", script], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), AMBIT_PERSIST_TO: stateDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.once("close", r));
    return { code, out };
  }

  it("npm run owner-key before any start: no key, and it says to run npm start", async () => {
    const none = await npmRun("owner-key");
    expect(none.code, none.out).toBe(1);
    expect(none.out).toMatch(/no bootstrap team in .*: run npm start first/);
    expect(none.out).not.toMatch(KEY_RE);
  }, 60_000);

  it("first start: migrates, starts, prints the bootstrap team's owner key once and a sign-in link that works once", async () => {
    const { s, url } = await boot();
    const out = s.output();
    const match = out.match(KEY_RE);
    expect(match, out).not.toBeNull();
    key = match![0];
    expect(out.match(new RegExp(KEY_RE.source, "g"))!.every((k) => k === key)).toBe(true);
    expect(out).toContain(`export AMBIT_API_KEY=${key}`);
    expect(out).toContain("Lost it later? `npm run owner-key`");
    expect(url).toBe(`http://localhost:${port}`);
    // a one-time sign-in link for the console, next to the key
    const link = out.match(LINK_RE)?.[0];
    expect(link, out).toMatch(new RegExp(`^http://localhost:${port}/auth/link/`));
    await signInWith(link!);

    const team = await api(url, "GET", "/api/v1/team", { key });
    expect(team.status, team.text).toBe(200);
    expect(team.json).toMatchObject({
      name: "default",
      member_count: 1,
      caller: { type: "user", role: "owner" },
    });
    // the local runner is the platform pool's host
    expect(s.output()).toMatch(
      /host runner connected as the platform pool \(worker_host "warp", capacity 2/,
    );
    const hosts = await api(url, "GET", "/api/v1/hosts", { key });
    expect(hosts.json.hosts).toMatchObject([
      { worker_id: "warp", capacity: 2, labels: ["local"], running: [] },
    ]);
    // a run for a host that is not connected stays QUEUED, so the next start can find it as it was
    const run = await api(url, "POST", "/api/v1/agent/runs", {
      key,
      body: { prompt: "Fix the flaky test in src/util", config: { worker_host: "e2e-nobody" } },
    });
    expect(run.status, run.text).toBe(200);
    const list = await api(url, "GET", "/api/v1/agent/runs", { key });
    expect(list.json.runs.map((r: { run_id: string }) => r.run_id)).toEqual([run.json.run_id]);
    expect(await api(url, "GET", "/docs")).toMatchObject({ status: 200 });
    // no alarming line on the happy path: the Cron Trigger is ours to fire (--test-scheduled)
    expect(s.output()).not.toMatch(
      /Scheduled Workers are not automatically triggered|WARNING|NOSENTRY/,
    );
    expect(HARMLESS_DEV_LINES.test("NOSENTRY SQLite alarm handler canceled.")).toBe(true); // workerd's own words
    // the web console at / (Workers Static Assets); any other path of it gets the same page
    for (const route of ["/", "/runs/some-run?tab=timeline"]) {
      const page = await fetch(`${url}${route}`);
      expect(page.status, route).toBe(200);
      expect(await page.text(), route).toContain('<div id="root">');
    }

    const exit = await stop(s);
    expect(exit, s.output()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("second start on the same state: no new key but a new sign-in link, the old key and its data still work; npm run owner-key mints an owner key, npm run sign-in-link a link", async () => {
    expect(key, "the first start printed a key").toMatch(KEY_RE);
    const { s, url } = await boot();
    expect(s.output()).not.toMatch(KEY_RE);
    expect(s.output()).not.toMatch(/Bootstrap team/);
    // every start prints a fresh sign-in link; `npm run sign-in-link` mints another
    await signInWith(s.output().match(LINK_RE)![0]);
    const minted = await npmRun("sign-in-link");
    expect(minted.code, minted.out).toBe(0);
    await signInWith(minted.out.match(LINK_RE)![0]);

    const team = await api(url, "GET", "/api/v1/team", { key });
    expect(team.status, team.text).toBe(200);
    expect(team.json.name).toBe("default");
    const list = await api(url, "GET", "/api/v1/agent/runs", { key });
    expect(list.json.runs).toHaveLength(1);
    expect(list.json.runs[0]).toMatchObject({
      prompt: "Fix the flaky test in src/util",
      state: "QUEUED",
    });
    // the runner's key was kept: it connects again
    expect(s.output()).toMatch(/host runner connected as the platform pool/);
    expect(
      await waitFor(
        async () =>
          (await api(url, "GET", "/api/v1/hosts", { key })).json.hosts.some(
            (h: { worker_id: string }) => h.worker_id === "warp",
          ),
        10_000,
      ),
    ).toBe(true);

    // it says how to get in without the first key: the local-only command, which mints an owner key
    expect(s.output()).toContain(
      `Lost it? \`PORT=${port} AMBIT_PERSIST_TO=${stateDir} npm run owner-key\` mints a new one`,
    );
    const mintedKey = await npmRun("owner-key");
    expect(mintedKey.code, mintedKey.out).toBe(0);
    const fresh = mintedKey.out.match(KEY_RE)![0];
    expect(fresh).not.toBe(key);
    expect(mintedKey.out.match(new RegExp(KEY_RE.source, "g"))).toEqual([fresh, fresh]); // the key and its export line
    expect(mintedKey.out).toContain(`export AMBIT_API_KEY=${fresh}`);
    expect(mintedKey.out).toContain(`export AMBIT_BASE_URL=http://localhost:${port}`);
    expect(mintedKey.out).toContain("npx ambit api-key delete");
    const asFresh = await api(url, "GET", "/api/v1/team", { key: fresh });
    expect(asFresh.status, asFresh.text).toBe(200);
    expect(asFresh.json).toMatchObject({
      name: "default",
      caller: { type: "user", role: "owner" },
    });
    // it acts as the owner: it lists the keys and revokes the lost one
    const keys = await api(url, "GET", "/api/v1/api-keys", { key: fresh });
    expect(keys.status, keys.text).toBe(200);
    const lost = keys.json.api_keys.find((k: { prefix: string }) => key.startsWith(k.prefix));
    expect(
      keys.json.api_keys.find((k: { prefix: string }) => fresh.startsWith(k.prefix)),
    ).toMatchObject({ role: "owner", name: "owner key (npm run owner-key)" });
    expect(
      (await api(url, "DELETE", `/api/v1/api-keys/${lost.uid}`, { key: fresh })).status,
    ).toBeLessThan(300);
    const revoked = await api(url, "GET", "/api/v1/team", { key });
    expect(revoked.status).toBe(401);
    // a refused key is told the ways in, not to make a key with a key
    expect(revoked.json.detail).toContain("npm run owner-key");
    expect(revoked.json.detail).not.toContain("POST /api/v1/api-keys");
    key = fresh;

    const exit = await stop(s);
    expect(exit, s.output()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("Ctrl-C while wrangler is still starting leaves nothing running", async () => {
    const s = startPlatform({ PORT: String(port), AMBIT_PERSIST_TO: stateDir });
    started.push(s);
    await s.waitForOutput(/starting wrangler dev/);
    const wranglerDev = () =>
      processTree(s.child.pid!).filter((pid) => {
        try {
          return /wrangler.*\0dev\0/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
        } catch {
          return false;
        }
      });
    expect(await waitFor(() => wranglerDev().length > 0, 30_000), s.output()).toBe(true);
    expect(s.output()).not.toMatch(RUNNING_RE); // still starting
    const exit = await stop(s, 2);
    expect(exit, s.output()).toEqual({ code: 0, signal: null });
    expect(s.output()).not.toMatch(RUNNING_RE);
  }, 120_000);
});
