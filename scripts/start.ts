// `npm start`: the whole platform on this machine — local D1/KV/R2/Queues/DOs under wrangler dev,
// migrations applied, secrets created on first run, a bootstrap team whose key is printed once
// (later starts name `npm run owner-key`, which mints a new one from the local state), a one-time
// console sign-in link for its owner at every start (`npm run sign-in-link` mints another),
// and a host runner on this machine as that team's platform pool (worker_host "warp").
// AMBIT_RUNNER=off starts no runner; AMBIT_RUNNER_CAPACITY sets how many runs it takes at once (default 2).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PLATFORM_POOL } from "@ambit/protocol";
import type { Host } from "../packages/runner/src/host.ts";
import {
  applyMigrations,
  type DevServer,
  ensureDevVars,
  HARMLESS_DEV_LINES,
  ROOT,
  startDevServer,
} from "./lib/wrangler-dev.ts";
import { localState, mintSignInLink, readBootstrap } from "./lib/bootstrap.ts";
import { mintRunnerKey, readRunnerKey, startLocalRunner } from "./lib/local-runner.ts";

// AMBIT_PERSIST_TO moves the local state (D1, KV, R2, DOs) elsewhere, e.g. for a second instance.
const state = localState();
const { port, persistTo, stateDir, marker } = state;

const { created } = ensureDevVars();
if (created) console.log("• created .dev.vars with fresh random secrets");
console.log(`• applying D1 migrations to ${path.relative(ROOT, stateDir) || stateDir}`);
await applyMigrations(persistTo, { quiet: true });
console.log(`• starting wrangler dev on http://localhost:${port}`);
// Ctrl-C (SIGINT) or SIGTERM stops wrangler before we exit, also while it is still starting:
// it runs in its own process group, so it would otherwise outlive us and keep the port.
let running: DevServer | undefined;
let runner: Host | undefined;
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  if (!running) return; // still starting: stopped as soon as startDevServer hands it over (below)
  // runs in flight are cancelled (and say so) before the platform goes away
  await runner?.stop().catch(() => {});
  await running.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
// --test-scheduled: the Cron Trigger is fired below, so wrangler need not warn that it fires none
const server = (running = await startDevServer({
  port,
  persistTo,
  logLevel: "info",
  inherit: true,
  drop: HARMLESS_DEV_LINES,
  extraArgs: ["--test-scheduled"],
  // webhooks to receivers on this machine (localhost, plain http) are what local development needs
  vars: {
    WEBHOOKS_ALLOW_PRIVATE: process.env.WEBHOOKS_ALLOW_PRIVATE ?? "true",
    // a model server named in this environment is where the model gateway sends runs' calls
    ...providerBaseUrls(),
  },
}));
if (stopping) {
  await server.stop();
  process.exit(0);
}

if (!existsSync(marker)) {
  const res = await fetch(`${server.url}/api/v1/teams`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "default",
      owner: { email: "admin@ambit.local", display_name: "Local admin" },
    }),
  });
  const body = (await res.json()) as {
    team: { uid: string };
    user: { uid: string };
    api_key: string;
  };
  if (res.status !== 201) {
    console.error("bootstrap team creation failed:", body);
  } else {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      marker,
      JSON.stringify(
        { team_uid: body.team.uid, owner_uid: body.user.uid, created_at: new Date().toISOString() },
        null,
        2,
      ),
    );
    if (process.env.AMBIT_RUNNER !== "off")
      await mintRunnerKey(server.url, body.api_key, stateDir).catch((err) =>
        console.error(`• could not create the local runner's key: ${err.message}`),
      );
    console.log(`
  ┌────────────────────────────────────────────────────────────────────────────┐
    Bootstrap team "default" created (owner admin@ambit.local).
    Its owner API key — shown this once, save it now:

      ${body.api_key}

    export AMBIT_API_KEY=${body.api_key}
    export AMBIT_BASE_URL=http://localhost:${port}

    Lost it later? \`npm run owner-key\` mints a new one from this local state.
  └────────────────────────────────────────────────────────────────────────────┘`);
  }
} else {
  const env = `${process.env.PORT ? `PORT=${port} ` : ""}${persistTo ? `AMBIT_PERSIST_TO=${process.env.AMBIT_PERSIST_TO} ` : ""}`;
  console.log(
    `• bootstrap team "default" exists; its owner key was printed on the first start. Lost it? \`${env}npm run owner-key\` mints a new one (local state only)`,
  );
}
// a fresh one-time console sign-in link at every start (the key is printed only the first time)
const owner = readBootstrap(marker);
const noLink = (err: Error) => void console.error(`• no sign-in link: ${err.message}`);
const link = owner && !stopping ? await mintSignInLink(state, owner).catch(noLink) : undefined;
if (link) {
  console.log(
    `• sign in to the console (once, within 15 minutes): ${link}   (another: \`npm run sign-in-link\`)`,
  );
}
if (process.env.AMBIT_RUNNER !== "off" && !stopping) {
  const key = process.env.AMBIT_API_KEY ?? readRunnerKey(stateDir);
  if (!key) {
    console.log(
      "• no local runner: this state has no runner key (it predates it); export AMBIT_API_KEY=<an admin key> and start again",
    );
  } else {
    const capacity = Number(process.env.AMBIT_RUNNER_CAPACITY ?? 2);
    runner = startLocalRunner({
      url: server.url,
      apiKey: key,
      workdir: path.join(stateDir, "runner"),
      capacity,
    });
    const ok = await runner.ready.then(
      () => true,
      (err: Error) => (
        console.error(`• the local runner could not connect: ${err.message}`), false
      ),
    );
    if (ok)
      console.log(
        `• host runner connected as the platform pool (worker_host "${PLATFORM_POOL}", capacity ${capacity}, workspaces in ${path.relative(ROOT, path.join(stateDir, "runner")) || stateDir})`,
      );
  }
}
console.log(`
  Ambit is running at http://localhost:${port}   (API docs: http://localhost:${port}/docs)
  Press Ctrl-C to stop. State lives in ${path.relative(ROOT, stateDir) || stateDir}; delete it to start over.`);

// wrangler dev does not fire Cron Triggers by itself; fire the every-minute trigger on the minute.
const tick = () => {
  const now = Date.now();
  fetch(
    `${server.url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${now - (now % 60_000)}`,
  ).catch(() => {});
};
setTimeout(
  () => {
    tick();
    setInterval(tick, 60_000);
  },
  60_000 - (Date.now() % 60_000),
);

server.child.on("exit", (code) => {
  if (stopping) return; // our own shutdown: it exits 0 once wrangler is gone
  console.error(`wrangler dev exited (${code})`);
  process.exit(code ?? 1);
});

/** The provider base URLs set in `npm start`'s environment, for the model gateway (docs/gateway.md). */
function providerBaseUrls(): Record<string, string> {
  const names = ["ANTHROPIC_BASE_URL", "OPENAI_BASE_URL", "GOOGLE_GEMINI_BASE_URL"];
  return Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n]!]));
}
