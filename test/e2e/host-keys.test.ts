// Credentials scoped to their job, on a real `wrangler dev`: a real runner (its own Node process)
// connects with a host key (`hosts:connect` for one pool, minted with the built CLI for a service
// account) instead of an admin key and runs a run a CI service account created; the same key is
// refused on every other route and on another pool.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";
import { runCli } from "./cli-run.ts";
import { startHost } from "../../packages/runner/src/host.ts";
import { api, type E2eServer, type Json, startE2eServer } from "./helpers.ts";
import { FAKES, post, untilEnded, untilHosts } from "./runner-setup.ts";

let s: E2eServer;
let bin: string;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "e2e-host-keys" })]);
  dir = mkdtempSync(path.join(tmpdir(), "ambit-e2e-host-keys-"));
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await s?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The real runner in a child process (test/fakes/runner-process.ts) with this key. */
function runnerProcess(key: string, workerId: string) {
  const child = spawn(
    process.execPath,
    [path.join(FAKES, "runner-process.ts"), s.url, workerId, mkdtempSync(path.join(dir, "wd-"))],
    {
      cwd: ROOT,
      env: { ...process.env, AMBIT_API_KEY: key, RUNNER_HARNESS: "shell" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  return child;
}

describe("host keys and service accounts (wrangler dev)", () => {
  it("a runner connects with a host key, runs a service account's run, and the key does nothing else", async () => {
    const ambit = async (...args: string[]) => {
      const r = await runCli(bin, [...args, "--json"], {
        env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key },
      });
      expect(r.code, `ambit ${args.join(" ")}: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout) as Json;
    };
    const hostsAccount = await ambit("service-account", "create", "hosts", "--role", "admin");
    const hostKey = await ambit(
      ...["api-key", "create", "build-host", "--service-account", hostsAccount.uid],
      ...["--scope", "hosts:connect", "--pool", "e2e-build"],
    );
    expect(hostKey).toMatchObject({
      scopes: ["hosts:connect"],
      pools: ["e2e-build"],
      principal: { type: "service_account", uid: hostsAccount.uid },
    });
    runnerProcess(hostKey.key, "e2e-build");
    await untilHosts(s, "e2e-build", 1, 30_000);

    const ci = await post(s, "/api/v1/service-accounts", { name: "ci" });
    const ciKey = await post(s, "/api/v1/api-keys", {
      name: "gh-actions",
      service_account_uid: ci.uid,
      scopes: ["runs:read", "runs:write"],
    });
    const created = await api(s.url, "POST", "/api/v1/agent/runs", {
      key: ciKey.key,
      body: { prompt: "echo built\n#say done", config: { worker_host: "e2e-build" } },
    });
    expect(created.status, created.text).toBe(200);
    const run = await untilEnded(s, created.json.run_id);
    expect(run.state, JSON.stringify(run.status_message)).toBe("SUCCEEDED");
    expect(run.creator).toMatchObject({ type: "service_account", uid: ci.uid });
    // the CI key is refused outside its scopes
    const secrets = await api(s.url, "GET", "/api/v1/agent/secrets", { key: ciKey.key });
    expect([secrets.status, secrets.json?.error_code]).toEqual([403, "insufficient_scope"]);

    // the host key calls nothing but the pool socket
    for (const [method, route] of [
      ["GET", "/api/v1/agent/runs"],
      ["GET", `/api/v1/agent/runs/${run.run_id}`],
      ["GET", "/api/v1/agent/secrets"],
      ["GET", "/api/v1/hosts"],
      ["POST", "/api/v1/api-keys"],
      ["GET", "/api/v1/me"],
    ] as const) {
      const res = await api(s.url, method, route, {
        key: hostKey.key,
        ...(method === "POST" ? { body: { name: "x" } } : {}),
      });
      expect([route, res.status, res.json?.error_code]).toEqual([route, 403, "insufficient_scope"]);
    }
    // and joins no other pool: the runner stops on the refusal
    const stray = startHost({
      url: s.url,
      apiKey: hostKey.key,
      workerId: "e2e-other",
      capacity: 1,
      workdir: mkdtempSync(path.join(dir, "wd-")),
      log: () => {},
    });
    await expect(stray.ready).rejects.toThrow(/403.*insufficient_scope/s);
    await stray.stop();

    // the member list shows both accounts as such
    const members = (await api(s.url, "GET", "/api/v1/team/members", { key: s.key })).json
      .members as Json[];
    expect(members.filter((m) => m.type === "service_account").map((m) => m.display_name)).toEqual([
      "hosts",
      "ci",
    ]);
  });
});
