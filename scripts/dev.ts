// `npm run dev -- [wrangler dev args]`: the server alone. Migrations are applied first to the same
// state directory the server will use (`--persist-to`, default .wrangler/state).
import { spawn } from "node:child_process";
import path from "node:path";
import { ensureConsoleAssets } from "./lib/console-assets.ts";
import { applyMigrations, ensureDevVars, ROOT, wranglerEnv } from "./lib/wrangler-dev.ts";

const args = process.argv.slice(2);
const i = args.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
const persistTo = i < 0 ? undefined : args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];

ensureDevVars();
ensureConsoleAssets();
await applyMigrations(persistTo, { quiet: true });
const child = spawn(
  process.execPath,
  [path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev", ...args],
  {
    cwd: ROOT,
    stdio: "inherit",
    env: wranglerEnv(),
  },
);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
child.on("exit", (code) => process.exit(code ?? 0));
