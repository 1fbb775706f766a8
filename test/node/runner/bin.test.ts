// `ambit-runner host start`: what it refuses, and why, before it connects anywhere.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dockerAvailable } from "../../../packages/runner/src/backends/docker.ts";

const BIN = path.resolve(import.meta.dirname, "../../../packages/runner/src/bin.ts");
const run = (args: string[], env: Record<string, string> = { AMBIT_API_KEY: "ambit_x" }) => {
  const { AMBIT_API_KEY: _k, AMBIT_BASE_URL: _u, ...base } = process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...base, ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { code: r.status, err: r.stderr };
};

describe("ambit-runner host start", () => {
  it("says what is missing or wrong", () => {
    expect(run([]).err).toMatch(/usage: ambit-runner host start/);
    expect(run(["host", "start", "--worker-id", "w"])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--url is required/),
    });
    expect(run(["host", "start", "--url", "http://127.0.0.1:1"]).err).toMatch(
      /--worker-id is required/,
    );
    expect(
      run(["host", "start", "--url", "http://127.0.0.1:1", "--worker-id", "w"], {}).err,
    ).toMatch(/AMBIT_API_KEY is not set/);
    expect(
      run(["host", "start", "--url", "http://127.0.0.1:1", "--worker-id", "w", "--capacity", "0"])
        .err,
    ).toMatch(/--capacity must be a whole number from 1 to 1000, not '0'/);
    expect(
      run(["host", "start", "--url", "http://127.0.0.1:1", "--worker-id", "w", "--backend", "vm"])
        .err,
    ).toMatch(/--backend must be 'process' or 'docker', not 'vm'/);
  });

  it("refuses --backend docker when no Docker engine is reachable", async () => {
    const engine = await dockerAvailable();
    if (engine.ok) return console.warn("[skipped] a Docker engine is reachable here");
    const r = run([
      "host",
      "start",
      "--url",
      "http://127.0.0.1:1",
      "--worker-id",
      "w",
      "--backend",
      "docker",
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /cannot use --backend docker: no Docker engine is reachable .*; start Docker or use --backend process/,
    );
  });
});
