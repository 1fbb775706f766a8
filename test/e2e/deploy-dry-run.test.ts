import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { wrangler } from "../../scripts/lib/wrangler-dev.ts";

describe("wrangler deploy --dry-run", () => {
  const outdir = mkdtempSync(path.join(tmpdir(), "ambit-dry-run-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("bundles the Worker with every binding of wrangler.toml", async () => {
    const out = await wrangler(["deploy", "--dry-run", "--outdir", outdir], { quiet: true });
    expect(out).toMatch(/--dry-run: exiting now/);
    for (const binding of [
      "DB",
      "CONFIG",
      "ARTIFACTS",
      "RUNS",
      "RUN_SESSION",
      "HOST_POOL",
      "RATE_LIMITER",
    ])
      expect(out, binding).toContain(binding);
    const bundle = path.join(outdir, "index.js");
    expect(existsSync(bundle), readdirSync(outdir).join(", ")).toBe(true);
    expect(statSync(bundle).size).toBeGreaterThan(10_000);
    // the default deploy has no container: the platform pool's hosts connect themselves
    expect(out).not.toContain("RUNNER_CONTAINER");
    expect(out).toMatch(/PLATFORM_HOSTS \("local"\)/);
  }, 120_000);

  // Building the runner image needs Docker (absent here), so the containers environment is checked
  // with `--containers-rollout=none`: its configuration, bindings and container definition.
  it("the containers environment binds RunnerContainer and names the runner image", async () => {
    const out = await wrangler(
      [
        "deploy",
        "--dry-run",
        "--env",
        "containers",
        "--containers-rollout=none",
        "--outdir",
        path.join(outdir, "containers"),
      ],
      { quiet: true },
    );
    expect(out).toMatch(/--dry-run: exiting now/);
    for (const binding of [
      "DB",
      "CONFIG",
      "ARTIFACTS",
      "RUNS",
      "RUN_SESSION",
      "HOST_POOL",
      "RATE_LIMITER",
      "RUNNER_CONTAINER",
    ])
      expect(out, binding).toContain(binding);
    expect(out).toMatch(/PLATFORM_HOSTS \("containers"\)/);
    expect(out).toMatch(/packages\/runner\/Dockerfile/);
  }, 120_000);
});
