import {
  chmodSync,
  existsSync,
  mkdtempSync,
  statSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveAgentUser } from "../../../packages/runner/src/backends/agent-user.ts";
import { processBackend } from "../../../packages/runner/src/backends/process.ts";

/** Running (a zombie waiting for a reaper counts as gone: it holds nothing and runs nothing). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
const text = async (s: NodeJS.ReadableStream) => {
  let out = "";
  for await (const c of s) out += c;
  return out;
};

describe("process backend", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("runs in the workspace with only the baseline and the run's variables", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ambit-backend-"));
    process.env.AMBIT_TEST_HOST_ONLY = "leak";
    const backend = processBackend(dir, { PATH: process.env.PATH!, RUN_VAR: "yes" });
    const p = backend.spawn("sh", ["-c", 'pwd; echo "$RUN_VAR/${AMBIT_TEST_HOST_ONLY:-none}"']);
    const [out, status] = await Promise.all([text(p.stdout), p.wait()]);
    expect(status).toEqual({ exitCode: 0, signal: null, timedOut: false });
    expect(out.trim().split("\n")).toEqual([dir, "yes/none"]);
  });

  it("has a private directory (0700, outside the workspace) its processes read; dispose removes it", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ambit-backend-"));
    const backend = processBackend(dir, { PATH: process.env.PATH! });
    expect(statSync(backend.privateDir).mode & 0o777).toBe(0o700);
    expect(path.relative(dir, backend.privateDir).startsWith("..")).toBe(true);
    writeFileSync(path.join(backend.privateDir, "f"), "private", { mode: 0o600 });
    const p = backend.spawn("cat", [path.join(backend.privateDir, "f")]);
    expect(await text(p.stdout)).toBe("private");
    await backend.dispose();
    expect(existsSync(backend.privateDir)).toBe(false);
  });

  it("kills the whole process tree on abort, grandchildren included", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ambit-backend-"));
    const backend = processBackend(dir, { PATH: process.env.PATH! });
    const ac = new AbortController();
    const p = backend.spawn("sh", ["-c", "sleep 300 & echo $!; wait"], { signal: ac.signal });
    let grandchild = 0;
    for await (const c of p.stdout) {
      grandchild = Number(String(c).trim());
      break;
    }
    expect(alive(grandchild)).toBe(true);
    ac.abort();
    const status = await p.wait();
    expect(status.signal).not.toBeNull();
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it("times out, says so, and reports a missing program as exit 127", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ambit-backend-"));
    const backend = processBackend(dir, { PATH: process.env.PATH! });
    const slow = await backend.spawn("sleep", ["30"], { timeoutMs: 200 }).wait();
    expect(slow.timedOut).toBe(true);
    const missing = await backend.spawn("ambit-no-such-program", []).wait();
    expect(missing.exitCode).toBe(127);
  });

  it("a program that cannot be started ends with empty, cleanly ended output streams (127 missing, 126 not executable)", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ambit-backend-"));
    const backend = processBackend(dir, { PATH: process.env.PATH! });
    const missing = backend.spawn("ambit-no-such-program", ["x"]);
    // read as a harness does, from the start: the streams end, they do not fail
    expect(await Promise.all([text(missing.stdout), text(missing.stderr), missing.wait()])).toEqual(
      ["", "", { exitCode: 127, signal: null, timedOut: false }],
    );
    expect(missing.stdout.readableEnded && missing.stderr.readableEnded).toBe(true);

    const script = path.join(dir, "not-executable.sh");
    writeFileSync(script, "echo hi\n");
    chmodSync(script, 0o644);
    const denied = backend.spawn(script, []);
    expect(await Promise.all([text(denied.stdout), text(denied.stderr), denied.wait()])).toEqual([
      "",
      "",
      { exitCode: 126, signal: null, timedOut: false },
    ]);
    // a stream read only after the failure is ended too
    expect(await text(denied.stdout)).toBe("");
  });

  it.skipIf(process.getuid?.() !== 0)(
    "with an agent user (a root runner), runs as that user with its HOME, and gives it the workspace and the private directory",
    async () => {
      dir = mkdtempSync(path.join(tmpdir(), "ambit-backend-"));
      const user = resolveAgentUser("nobody");
      const backend = processBackend(dir, { PATH: process.env.PATH!, HOME: "/root" }, { user });
      expect(backend.owner).toEqual({ uid: user.uid, gid: user.gid });
      for (const d of [dir, backend.privateDir]) expect(statSync(d).uid).toBe(user.uid);
      const p = backend.spawn("sh", ["-c", 'id -u; echo "$HOME"; touch made-by-agent']);
      const [out] = await Promise.all([text(p.stdout), p.wait()]);
      expect(out.trim().split("\n")).toEqual([String(user.uid), user.home]);
      expect(statSync(path.join(dir, "made-by-agent")).uid).toBe(user.uid);
      await backend.dispose();
    },
  );
});
