// The committed bundle (packages/action/dist/index.js, what GitHub runs) is the build of its
// source: a change to packages/action/src or the SDK without `npm run build:action` fails here.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { ACTION_BUNDLE, buildAction } from "../../../packages/action/scripts/build.ts";

it("packages/action/dist/index.js is up to date with its source (run `npm run build:action`)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "ambit-action-build-"));
  try {
    const fresh = readFileSync(await buildAction(path.join(dir, "index.js")), "utf8");
    const committed = readFileSync(ACTION_BUNDLE, "utf8");
    expect(
      committed === fresh,
      "packages/action/dist/index.js is stale: run `npm run build:action` and commit it",
    ).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
