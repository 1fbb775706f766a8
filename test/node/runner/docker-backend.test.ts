// The docker backend against a real engine. Skipped, with a message saying why, where no Docker
// engine is reachable (as on the CI and dev machines of this project so far).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dockerAvailable, dockerBackend } from "../../../packages/runner/src/backends/docker.ts";

const engine = await dockerAvailable();
if (!engine.ok) console.warn(`[docker backend tests skipped] ${engine.message}`);

const text = async (s: NodeJS.ReadableStream) => {
  let out = "";
  for await (const c of s) out += c;
  return out;
};

describe("docker availability", () => {
  it("answers with a reason a user can act on when there is no engine", () => {
    if (engine.ok) expect(engine.version).toMatch(/\d/);
    else expect(engine.message).toMatch(/^no Docker engine is reachable \(.+\); start Docker or use --backend process$/);
  });
});

describe.skipIf(!engine.ok)("docker backend", () => {
  it("runs in a container of the image with the workspace mounted and only the run's variables; kill and dispose end everything", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ambit-docker-"));
    const backend = await dockerBackend({ image: "alpine:3.20", workspace: dir, env: { RUN_VAR: "yes" } });
    try {
      const p = backend.spawn("sh", ["-c", 'pwd; echo "$RUN_VAR"; echo hi > file.txt']);
      p.stdin.end();
      const [out, status] = await Promise.all([text(p.stdout), p.wait()]);
      expect(status.exitCode).toBe(0);
      expect(out.trim().split("\n")).toEqual([dir, "yes"]);
      const slow = backend.spawn("sleep", ["300"]);
      setTimeout(() => slow.kill("SIGKILL"), 500);
      expect((await slow.wait()).exitCode).not.toBe(0);
    } finally {
      await backend.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
