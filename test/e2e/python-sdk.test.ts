// The Python SDK (packages/python) against a real `wrangler dev`: runs its unittest suite
// (packages/python/tests) with AMBIT_BASE_URL/AMBIT_API_KEY pointing at the server, while a scripted
// host in this process takes the runs sent to its pool and plays them by their prompt
// (`py:stream` eight messages then SUCCEEDED, `py:succeed`, `py:fail`, `py:artifacts` a file and a
// pull request); and builds the package into a wheel offline, installs it into a fresh venv and
// calls the server from there.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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
// An interpreter that can build a wheel offline: pip, setuptools with a bdist_wheel (its own from 70.1,
// before that the `wheel` package's) and venv with ensurepip. pyenv's python3 may lack `wheel`;
// Debian's /usr/bin/python3 has it with python3-setuptools, python3-wheel and python3-venv (.ci/run
// installs them).
const BUILD_CHECK = [
  "import ensurepip, setuptools, venv",
  "try:\n    import wheel\nexcept ImportError:\n    from setuptools.command import bdist_wheel",
].join("\n");
const builder = ["python3", "/usr/bin/python3"].find(
  (py) =>
    spawnSync(py, ["-m", "pip", "--version"]).status === 0 &&
    spawnSync(py, ["-c", BUILD_CHECK]).status === 0,
);
if (!hasPython) console.warn("python-sdk.test.ts: skipped, no python3 on PATH");
else if (!builder)
  console.warn(
    "python-sdk.test.ts: the wheel test is skipped: neither python3 nor /usr/bin/python3 has pip, venv and a setuptools that builds wheels (Debian: apt-get install python3-setuptools python3-wheel python3-venv python3-pip)",
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasPython)("Python SDK (ambit-sdk)", () => {
  let s: E2eServer;
  let host: ScriptedHost;
  let timer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const handled = new Set<string>();
  const hostErrors: string[] = [];

  /** Adds an artifact to the run with its HOST token, as a runner does; answers the 201 body. */
  async function addArtifact(
    runId: string,
    token: string,
    route: string,
    init: { body: string | Uint8Array; contentType: string },
  ) {
    const res = await fetch(`${s.url}/api/v1/agent/runs/${runId}/${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": init.contentType },
      body: init.body as BodyInit,
    });
    const body = (await res.json()) as {
      artifact_uid: string;
      artifact_type: string;
      data: Record<string, unknown>;
    };
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
      const bytes = Buffer.concat([
        Buffer.from(`report of ${runId}\n`),
        Buffer.from([0, 255, 254, 10, 13, 128]),
      ]);
      const file = await addArtifact(
        runId,
        token,
        "artifacts/files?filename=report.bin&filepath=out%2Freport.bin&title=Report",
        { body: bytes, contentType: "application/x-ambit-report" },
      );
      const pr = await addArtifact(runId, token, "artifacts", {
        body: JSON.stringify({
          artifact_type: "PULL_REQUEST",
          data: { url: "https://github.com/acme/web/pull/7", branch: `ambit/${runId}` },
        }),
        contentType: "application/json",
      });
      await host.append(
        runId,
        [file, pr].map((a) => ({
          type: "artifact.created",
          payload: {
            artifact_type: a.artifact_type,
            data: { ...a.data, artifact_uid: a.artifact_uid },
          },
        })),
      );
      host.complete(runId, "opened a pull request");
    } else if (prompt.startsWith("py:fail")) {
      host.fail(runId, "tests still failing");
    }
  }

  beforeAll(async () => {
    s = await startE2eServer({
      teamName: "python-sdk",
      vars: { MAX_QUEUED_RUNS_PER_TEAM: String(MAX_QUEUED) },
    });
    host = await ScriptedHost.connect(s.url, s.key, POOL, 16);
    // the pool closes a host silent for three heartbeats (30 s), and some tests run longer than that
    // without a run for this host (the 250 runs)
    heartbeat = setInterval(() => host.send("heartbeat", { running: [] }), 5_000);
    timer = setInterval(() => {
      for (const f of host.frames) {
        if (f.type !== "task_assignment" || handled.has(f.data.task_id)) continue;
        handled.add(f.data.task_id);
        play(f.data.task_id, String(f.data.task?.prompt ?? "")).catch((err) =>
          hostErrors.push(String(err)),
        );
      }
    }, 50);
  });
  afterAll(async () => {
    clearInterval(timer);
    clearInterval(heartbeat);
    host?.close();
    await s?.stop();
  });

  it("passes its unittest suite against the server", { timeout: 420_000 }, async () => {
    // PY_SDK_TESTS=a,b runs only the tests matching a or b (unittest -k), while working on them
    const only = (process.env.PY_SDK_TESTS ?? "")
      .split(",")
      .filter(Boolean)
      .flatMap((k) => ["-k", k]);
    const child = spawn(
      "python3",
      ["-m", "unittest", "discover", "-s", "packages/python/tests", "-v", ...only],
      {
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
          PYTHONFAULTHANDLER: "1", // a hung suite, ended with SIGABRT below, prints where each thread was
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    // ended before the test's own timeout, so that a hung suite still shows how far it got
    const killer = setTimeout(() => child.kill("SIGABRT"), 400_000);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(killer);
    if (code !== 0 || hostErrors.length) console.log(output, hostErrors);
    expect(hostErrors).toEqual([]);
    expect(code).toBe(0);
    expect(output).toMatch(/^OK/m);
    expect(output).not.toMatch(/skipped '/); // with a server and a host, every test runs
  });

  it.skipIf(!builder)(
    "builds a wheel offline that installs into a fresh venv and works there",
    { timeout: 240_000 },
    () => {
      const py = builder as string;
      const dir = mkdtempSync(path.join(tmpdir(), "ambit-py-"));
      const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
        const r = spawnSync(cmd, args, { cwd: dir, env, encoding: "utf8", timeout: 180_000 });
        expect(r.status, `${cmd} ${args.join(" ")}\n${r.stdout}${r.stderr}`).toBe(0);
        return r.stdout;
      };
      try {
        const src = path.join(dir, "src");
        cpSync(PACKAGE, src, {
          recursive: true,
          filter: (p) => !/__pycache__|\.egg-info|[\\/]build$/.test(p),
        });
        // no network: the build backend is the interpreter's own setuptools, the install reads only dist/
        run(py, [
          "-m",
          "pip",
          "wheel",
          "--no-build-isolation",
          "--no-deps",
          "--no-index",
          "-w",
          "dist",
          src,
        ]);
        const wheels = readdirSync(path.join(dir, "dist"));
        expect(wheels).toEqual(["ambit_sdk-0.1.0-py3-none-any.whl"]);
        run(py, ["-m", "venv", "venv"]);
        const venvPython = path.join(dir, "venv", "bin", "python");
        run(venvPython, [
          "-m",
          "pip",
          "install",
          "--no-index",
          "--no-deps",
          path.join(dir, "dist", wheels[0]),
        ]);
        // from the venv alone (no PYTHONPATH, cwd outside the sources): the package, its marker, a real call each way
        const { PYTHONPATH: _, ...env } = process.env;
        const script = [
          "import asyncio, json, pathlib, ambit",
          "from ambit import Ambit, AsyncAmbit",
          "home = pathlib.Path(ambit.__file__).parent",
          "team = Ambit().team.retrieve()",
          "async def main():",
          "    return await AsyncAmbit().team.retrieve()",
          "print(json.dumps([ambit.__version__, 'site-packages' in str(home), (home / 'py.typed').exists(), team['name'], asyncio.run(main())['name']]))",
        ].join("\n");
        const out = run(venvPython, ["-c", script], {
          ...env,
          AMBIT_BASE_URL: s.url,
          AMBIT_API_KEY: s.key,
        });
        expect(JSON.parse(out)).toEqual(["0.1.0", true, true, "python-sdk", "python-sdk"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
