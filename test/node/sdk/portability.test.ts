// The SDK must run in browsers and Workers: bundling it for the browser fails on any Node-only import.
import path from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../../..");

describe("@ambit/sdk portability", () => {
  it("bundles for the browser with no Node built-ins and no runtime dependency", async () => {
    const result = await build({
      entryPoints: [path.join(ROOT, "packages/sdk/src/index.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((i) => i.startsWith("packages/sdk/src/"))).toBe(true); // types only from @ambit/protocol and zod
    expect(result.outputFiles[0].text).not.toMatch(/from "node:|require\("node:/);
  });
});
