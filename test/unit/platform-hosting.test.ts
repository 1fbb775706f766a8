// The PLATFORM_HOSTS setting: "local" (default) starts nothing; "containers" needs PUBLIC_URL and the
// RUNNER_CONTAINER binding of the `containers` wrangler environment, and says which is missing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { platformHosting } from "../../durable-objects/host-pool/containers.ts";
import { getConfig } from "../../src/env.ts";

const withVars = (vars: Partial<Env>): Env => ({ ...env, ...vars });

describe("platformHosting", () => {
  it("local by default: no starter", () => {
    expect(getConfig(env).PLATFORM_HOSTS).toBe("local");
    expect(platformHosting(env)).toEqual({ mode: "local", starter: null });
  });

  it("containers without PUBLIC_URL is a misconfiguration naming the var", () => {
    expect(() => platformHosting(withVars({ PLATFORM_HOSTS: "containers" }))).toThrow(
      /PUBLIC_URL is required when PLATFORM_HOSTS is 'containers'/,
    );
    expect(() => platformHosting(withVars({ PLATFORM_HOSTS: "bogus" }))).toThrow(/PLATFORM_HOSTS/);
  });

  it("containers without the RUNNER_CONTAINER binding answers why the container did not start", async () => {
    const hosting = platformHosting(
      withVars({ PLATFORM_HOSTS: "containers", PUBLIC_URL: "https://ambit.example.com" }),
    );
    expect(hosting.mode).toBe("containers");
    expect(await hosting.starter!.start({ runId: "r", teamId: "t", executionId: 1 })).toEqual({
      ok: false,
      message:
        "PLATFORM_HOSTS is 'containers' but the RUNNER_CONTAINER binding is missing; deploy with `--env containers`",
    });
  });
});
