// The web console's build output, which wrangler.toml's [assets] names. Wrangler (dev, deploy, d1,
// and the worker tests' Miniflare) refuses a missing assets directory, so before the console is
// built (a fresh clone, `npm install --ignore-scripts`) it gets a one-page stand-in that says how
// to build it: the API and every test still work without the console.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

export const CONSOLE_DIST = path.resolve(import.meta.dirname, "../../packages/web/dist");

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ambit</title></head>
<body><main><h1>The Ambit web console is not built</h1>
<p>Run <code>npm run build:web</code> (or <code>npm install</code>), then reload. The API is at <a href="/docs">/docs</a>.</p>
</main></body></html>
`;

/** Makes sure `packages/web/dist` exists, with a stand-in page when the console was never built. */
export function ensureConsoleAssets(): void {
  if (existsSync(path.join(CONSOLE_DIST, "index.html"))) return;
  mkdirSync(CONSOLE_DIST, { recursive: true });
  writeFileSync(path.join(CONSOLE_DIST, "index.html"), PLACEHOLDER);
}

/**
 * Builds the console when `npm install` did not (only the stand-in page is there), for tests that
 * need it; as production, since vitest's NODE_ENV=test would make Vite build development JSX.
 */
export function buildConsoleIfMissing(): void {
  if (!existsSync(path.join(CONSOLE_DIST, "assets"))) buildConsole();
}

/** Builds the console into `dist/` (as production, whatever NODE_ENV says). */
export function buildConsole(): void {
  const root = path.resolve(CONSOLE_DIST, "../../..");
  const vite = path.join(root, "node_modules/vite/bin/vite.js");
  execFileSync(process.execPath, [vite, "build", "packages/web", "--logLevel", "warn"], {
    cwd: root,
    env: { ...process.env, NODE_ENV: "production" },
  });
}

/** The scripts and module preloads index.html names: the JavaScript of the first screen. */
export function initialScripts(): string[] {
  const html = readFileSync(path.join(CONSOLE_DIST, "index.html"), "utf8");
  const srcs = [
    ...html.matchAll(/<script[^>]+src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
  ];
  return srcs.map((m) => m[1]);
}

/** The gzipped size (level 9) of the first screen's JavaScript, in bytes. */
export function initialScriptsGzipped(scripts = initialScripts()): number {
  return scripts.reduce(
    (sum, src) => sum + gzipSync(readFileSync(path.join(CONSOLE_DIST, src)), { level: 9 }).length,
    0,
  );
}
