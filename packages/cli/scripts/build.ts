// Bundles the CLI (with the SDK) into one ES module that plain Node 20+ runs: dist/ambit.js.
//   npm run build -w @ambit/cli
import { chmodSync, readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const ROOT = path.resolve(import.meta.dirname, "..");
export const CLI_BIN = path.join(ROOT, "dist/ambit.js");

export async function buildCli(): Promise<string> {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  await build({
    entryPoints: [path.join(ROOT, "src/main.ts")],
    outfile: CLI_BIN,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // bundled CommonJS packages (ws, under the runner) `require` Node's built-ins: give them one
    banner: {
      js: '#!/usr/bin/env node\nimport { createRequire as __ambitCreateRequire } from "node:module";\nconst require = __ambitCreateRequire(import.meta.url);',
    },
    define: { AMBIT_CLI_VERSION: JSON.stringify(version) },
    logLevel: "warning",
  });
  chmodSync(CLI_BIN, 0o755);
  return CLI_BIN;
}

if (process.argv[1] === import.meta.filename) {
  console.log(`built ${path.relative(process.cwd(), await buildCli())}`);
}
