// The Python SDK (packages/python) against a real `wrangler dev`: runs its unittest suite
// (packages/python/tests) with AMBIT_BASE_URL/AMBIT_API_KEY pointing at the server, while a scripted
// host in this process takes the runs sent to its pool and plays them by their prompt
// (`py:stream` eight messages then SUCCEEDED, `py:succeed`, `py:fail`, `py:artifacts` a file and a
// pull request); and installs the package from its directory with pip, offline, as
// `pip install ./packages/python` would.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eServer, startE2eServer } from "./helpers.ts";
import { ScriptedHost } from "./scripted-host.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PACKAGE = path.join(ROOT, "packages/python");
const POOL = "py-sdk";
const MAX_QUEUED = 60;

const hasPython = spawnSync("python3", ["--version"]).status === 0;
// an offline build needs setuptools' bdist_wheel: in setuptools itself from 70.1, before that in `wheel`
const WHEEL_CHECK = "import setuptools\ntry:\n    import wheel\nexcept ImportError:\n    from setuptools.command import bdist_wheel";
const canBuildWheel = hasPython && spawnSync("python3", ["-m", "pip", "--version"]).status === 0 && spawnSync("python3", ["-c", WHEEL_CHECK]).status === 0;
if (!hasPython) console.warn("python-sdk.test.ts: skipped, no python3 on PATH");
else if (!canBuildWheel) console.warn("python-sdk.test.ts: the offline pip install is skipped: python3 has no pip, or setuptools can build no wheel (setuptools < 70.1 without `wheel`)");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasPython)("Python SDK (ambit-sdk)", () => {
  let s: E2eServer;
  let host: ScriptedHost;
  let timer: NodeJS.Timeout | undefined;
  const handled = new Set<string>();
  const hostErrors: string[] = [];

  /** Adds an artifact to the run with its HOST token, as a runner does; answers the 201 body. */
  async function addArtifact(runId: string, token: string, route: string, init: { body: string | Uint8Array; contentType: string }) {
    const res = await fetch(`${s.url}/api/v1/agent/runs/${runId}/${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": init.contentType },
      body: init.body as BodyInit,
    });
    const body = (await res.json()) as { artifact_uid: string; artifact_type: string; data: Record<string, unknown> };
    if (res.status !== 201) throw new Error(`POST ${route}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  /** Plays a run taken from the pool as its prompt says. */
  async function play(runId: string, prompt: string) {
    const assignment = await host.take(runId);
    if (prompt.startsWith("py:stream")) {
      // spaced out, so that the client's cuts at m2 and m5 come while later messages are still unsent
      for (let i = 1; i <= 8; i++) {
        await sleep(250);
        await host.append(runId, [{ type: "agent.message", payload: { text: `m${i}` } }]);
      }
      await sleep(150);
      host.complete(runId, "all green");
    } else if (prompt.startsWith("py:succeed")) {
      await host.append(runId, [{ type: "agent.message", payload: { text: "done" } }]);
      host.complete(runId, "all green");
    } else if (prompt.startsWith("py:artifacts")) {
      // a file (bytes the test recomputes: text, then bytes that are not UTF-8) and a pull request,
      // each announced by an artifact.created event carrying its artifact_uid
      const token = String(assignment.session.token);
      const bytes = Buffer.concat([Buffer.from(`report of ${runId}\n`), Buffer.from([0, 255, 254, 10, 13, 128])]);
      const file = await addArtifact(runId, token, "artifacts/files?filename=report.bin&filepath=out%2Freport.bin&title=Report", { body: bytes, contentType: "application/x-ambit-report" });
      const pr = await addArtifact(runId, token, "artifacts", {
        body: JSON.stringify({ artifact_type: "PULL_REQUEST", data: { url: "https://github.com/acme/web/pull/7", branch: `ambit/${runId}` } }),
        contentType: "application/json",
      });
      await host.append(runId, [file, pr].map((a) => ({ type: "artifact.created", payload: { artifact_type: a.artifact_type, data: { ...a.data, artifact_uid: a.artifact_uid } } })));
      host.complete(runId, "opened a pull request");
    } else if (prompt.startsWith("py:fail")) {
      host.fail(runId, "tests still failing");
    }
  }

  beforeAll(async () => {
    s = await startE2eServer({ teamName: "python-sdk", vars: { MAX_QUEUED_RUNS_PER_TEAM: String(MAX_QUEUED) } });
    host = await ScriptedHost.connect(s.url, s.key, POOL, 16);
    timer = setInterval(() => {
      for (const f of host.frames) {
        if (f.type !== "task_assignment" || handled.has(f.data.task_id)) continue;
        handled.add(f.data.task_id);
        play(f.data.task_id, String(f.data.task?.prompt ?? "")).catch((err) => hostErrors.push(String(err)));
      }
    }, 50);
  });
  afterAll(async () => {
    clearInterval(timer);
    host?.close();
    await s?.stop();
  });

  it("passes its unittest suite against the server", { timeout: 300_000 }, async () => {
    const child = spawn("python3", ["-m", "unittest", "discover", "-s", "packages/python/tests", "-v"], {
      cwd: ROOT,
      env: {
        ...process.env,
        AMBIT_BASE_URL: s.url,
        AMBIT_API_KEY: s.key,
        AMBIT_TEST_POOL: POOL,
        AMBIT_TEST_MAX_QUEUED_RUNS: String(MAX_QUEUED),
        PYTHONPATH: path.join(PACKAGE, "src"),
        PYTHONDONTWRITEBYTECODE: "1",
        PYTHONUNBUFFERED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0 || hostErrors.length) console.log(output, hostErrors);
    expect(hostErrors).toEqual([]);
    expect(code).toBe(0);
    expect(output).toMatch(/^OK/m);
    expect(output).not.toMatch(/skipped '/); // with a server and a host, every test runs
  });

  it.skipIf(!canBuildWheel)("installs offline with pip from its directory", { timeout: 120_000 }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ambit-py-"));
    try {
      const src = path.join(dir, "src");
      cpSync(PACKAGE, src, { recursive: true, filter: (p) => !/__pycache__|\.egg-info|[\\/]build$/.test(p) });
      const target = path.join(dir, "site");
      const pip = spawnSync("python3", ["-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "--target", target, src], { encoding: "utf8" });
      expect(pip.status, pip.stdout + pip.stderr).toBe(0);
      const check = spawnSync("python3", ["-c", "import ambit, pathlib; print(ambit.__version__, (pathlib.Path(ambit.__file__).parent / 'py.typed').exists())"], {
        cwd: dir,
        env: { ...process.env, PYTHONPATH: target },
        encoding: "utf8",
      });
      expect(check.stdout.trim()).toBe("0.1.0 True");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
