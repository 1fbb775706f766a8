// The docker backend against a real engine, with an image built from this machine's own programs
// (docker-image.ts: no registry needed). Skipped, with a message saying why, where no Docker engine
// is reachable (as on CI). An engine from Debian's `docker.io` works; see packages/runner/README.md.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerAvailable, dockerBackend } from "../../../packages/runner/src/backends/docker.ts";
import { buildTestImage, type TestImage } from "./docker-image.ts";

const engine = await dockerAvailable();
if (!engine.ok) console.warn(`[docker backend tests skipped] ${engine.message}`);

const text = async (s: NodeJS.ReadableStream) => {
  let out = "";
  for await (const c of s) out += c;
  return out;
};
/** Names of the containers (running or not) with this name. */
const containers = (name: string) =>
  execFileSync("docker", ["ps", "-a", "-q", "--filter", `name=^${name}$`], {
    encoding: "utf8",
  }).trim();
const until = async (pred: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (pred()) return true;
  return pred();
};

describe("docker availability", () => {
  it("answers with a reason a user can act on when there is no engine", () => {
    if (engine.ok) expect(engine.version).toMatch(/\d/);
    else
      expect(engine.message).toMatch(
        /^no Docker engine is reachable \(.+\); start Docker or use --backend process$/,
      );
  });
});

describe.skipIf(!engine.ok)("docker backend (real engine)", () => {
  let image: TestImage;
  let dir: string;
  beforeAll(() => {
    image = buildTestImage();
    dir = mkdtempSync(path.join(tmpdir(), "ambit-docker-"));
  }, 120_000);
  afterAll(() => {
    image?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs in a container of the image with the workspace mounted and only the run's variables; files written belong to the runner", async () => {
    const ws = mkdtempSync(path.join(dir, "ws-"));
    const backend = await dockerBackend({
      image: image.tag,
      workspace: ws,
      env: { RUN_VAR: "yes", PATH: "/nowhere" },
    });
    try {
      const p = backend.spawn(
        "sh",
        [
          "-c",
          'pwd; echo "$RUN_VAR $EXTRA"; echo "${HOST_ONLY:-unset}"; echo hi > file.txt; read line; echo "got $line"',
        ],
        { env: { EXTRA: "more" } },
      );
      p.stdin.end("from stdin\n");
      const [out, status] = await Promise.all([text(p.stdout), p.wait()]);
      expect(status).toEqual({ exitCode: 0, signal: null, timedOut: false });
      expect(out.trim().split("\n")).toEqual([ws, "yes more", "unset", "got from stdin"]);
      const st = statSync(path.join(ws, "file.txt"));
      expect([st.uid, st.gid]).toEqual([process.getuid!(), process.getgid!()]);

      const failing = backend.spawn("sh", ["-c", "echo oops >&2; exit 3"]);
      const [err, failed] = await Promise.all([text(failing.stderr), failing.wait()]);
      expect(failed.exitCode).toBe(3);
      expect(err).toBe("oops\n");
      expect((await backend.spawn("no-such-program", []).wait()).exitCode).toBe(127);

      // the private directory: the host's, 0700, seen in the container at the same path
      expect(statSync(backend.privateDir).mode & 0o777).toBe(0o700);
      writeFileSync(path.join(backend.privateDir, "f"), "private", { mode: 0o600 });
      const cat = backend.spawn("cat", [path.join(backend.privateDir, "f")]);
      expect(await text(cat.stdout)).toBe("private");
    } finally {
      await backend.dispose();
    }
    expect(existsSync(backend.privateDir)).toBe(false);
  }, 120_000);

  it("kill, timeout and abort end the whole process tree inside the container; dispose removes the container", async () => {
    const ws = mkdtempSync(path.join(dir, "ws-"));
    const name = `ambit-test-${Date.now()}`;
    const backend = await dockerBackend({ image: image.tag, workspace: ws, env: {}, name });
    expect(containers(name)).not.toBe("");
    const running = async () =>
      await text(
        backend.spawn("sh", ["-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' || true"])
          .stdout,
      );
    try {
      const tree = backend.spawn("sh", ["-c", "sleep 301 & sleep 302; wait"]);
      await new Promise((r) => setTimeout(r, 500));
      expect(await running()).toContain("sleep 301"); // the check below sees the container's processes
      tree.kill("SIGTERM");
      expect(await tree.wait()).toEqual({ exitCode: null, signal: "SIGTERM", timedOut: false });

      const slow = backend.spawn("sh", ["-c", "sleep 303 & sleep 304; wait"], { timeoutMs: 500 });
      expect((await slow.wait()).timedOut).toBe(true);

      const ac = new AbortController();
      const aborted = backend.spawn("sleep", ["305"], { signal: ac.signal });
      setTimeout(() => ac.abort(), 300);
      expect((await aborted.wait()).exitCode).not.toBe(0);

      const left = await running();
      for (const n of [301, 302, 303, 304, 305]) expect(left).not.toContain(`sleep ${n}`);
    } finally {
      await backend.dispose();
    }
    expect(containers(name)).toBe("");
  }, 120_000);

  it("a runner that dies (SIGKILL) leaves no container behind", async () => {
    const ws = mkdtempSync(path.join(dir, "ws-"));
    const name = `ambit-test-crash-${Date.now()}`;
    const mod = path.resolve("packages/runner/src/backends/docker.ts");
    const code = `const { dockerBackend } = await import(${JSON.stringify(mod)});
      const b = await dockerBackend({ image: ${JSON.stringify(image.tag)}, workspace: ${JSON.stringify(ws)}, env: {}, name: ${JSON.stringify(name)} });
      b.spawn("sleep", ["600"]); console.log("up");`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const up = await new Promise<boolean>((r) => {
      child.stdout.on("data", (d) => String(d).includes("up") && r(true));
      child.once("exit", () => r(false));
    });
    expect(up, "the runner stand-in started its container").toBe(true);
    expect(containers(name)).not.toBe("");
    child.kill("SIGKILL");
    expect(
      await until(() => containers(name) === "", 20_000),
      `container ${name} outlived its runner`,
    ).toBe(true);
  }, 120_000);

  it("an image the engine does not have fails with the fix", async () => {
    const missing = `ambit-missing-${Date.now()}:none`;
    await expect(dockerBackend({ image: missing, workspace: dir, env: {} })).rejects.toThrow(
      new RegExp(
        `the image ${missing} is not on this machine and could not be pulled \\(.+\\); pull or build it on the host \\(docker pull ${missing}\\), or set the environment's docker_image`,
      ),
    );
  }, 120_000);
});
