// The console's initial JavaScript (what index.html loads before the first screen) stays under
// 250 KB gzipped. Reads the build `npm install` made (builds it if it is missing).
import { expect, it } from "vitest";
import {
  buildConsoleIfMissing,
  initialScripts,
  initialScriptsGzipped,
} from "../../scripts/lib/console-assets.ts";

const BUDGET = 250 * 1024;

it("keeps the console's initial JavaScript under 250 KB gzipped", () => {
  buildConsoleIfMissing();
  const scripts = initialScripts();
  expect(scripts.length).toBeGreaterThan(0);
  const gzipped = initialScriptsGzipped(scripts);
  console.log(
    `console initial JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped in ${scripts.length} file(s)`,
  );
  expect(gzipped).toBeLessThan(BUDGET);
});
