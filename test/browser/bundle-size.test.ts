// The console's initial JavaScript (what index.html loads before the first screen) stays under
// 250 KB gzipped. Reads the build `npm install` made (builds it if it is missing).
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { buildConsoleIfMissing, CONSOLE_DIST } from "../../scripts/lib/console-assets.ts";

const BUDGET = 250 * 1024;

/** The scripts and module preloads index.html names: the JavaScript of the first screen. */
function initialScripts(html: string): string[] {
  const srcs = [
    ...html.matchAll(/<script[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
  ];
  return srcs.map((m) => m[1]);
}

it("keeps the console's initial JavaScript under 250 KB gzipped", () => {
  buildConsoleIfMissing();
  const scripts = initialScripts(readFileSync(path.join(CONSOLE_DIST, "index.html"), "utf8"));
  expect(scripts.length).toBeGreaterThan(0);
  const gzipped = scripts.reduce(
    (sum, src) => sum + gzipSync(readFileSync(path.join(CONSOLE_DIST, src)), { level: 9 }).length,
    0,
  );
  console.log(
    `console initial JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped in ${scripts.length} file(s)`,
  );
  expect(gzipped).toBeLessThan(BUDGET);
});
