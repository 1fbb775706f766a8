import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { ensureConsoleAssets } from "./scripts/lib/console-assets.ts";

if (Number(process.versions.node.split(".")[0]) < 22) {
  throw new Error(
    `vitest is running on Node ${process.version}; run it through npm ("npm test"), which uses the project's Node 22`,
  );
}

export default defineConfig(async () => {
  ensureConsoleAssets(); // wrangler.toml's [assets] directory must exist before the console is built
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      reporters: process.env.VITEST_JSON
        ? ["default", ["json", { outputFile: process.env.VITEST_JSON }]]
        : ["default"],
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  JWT_SECRET: "test-jwt-secret-0123456789abcdefghijklmnop",
                  SECRETS_KEY: "test-secrets-key-0123456789abcdefghijklmno",
                  SIGNUPS_PER_IP_PER_HOUR: "1000000", // the suite signs up thousands of teams from no address; test/security/signup-rate-limit.test.ts sets its own
                  PUBLIC_LINK_REQUESTS_PER_IP_PER_MINUTE: "1000000", // likewise for public links; test/security/public-link-amplifier.test.ts sets its own
                  SIGN_INS_PER_IP_PER_MINUTE: "1000000", // likewise for console sign-ins; test/security/web-sessions.test.ts sets its own
                  INBOUND_DELIVERIES_PER_IP_PER_MINUTE: "1000000", // likewise for inbound URLs; test/security/inbound-rate-limit.test.ts sets its own
                  // the API's budgets (on by default): the fuzzer alone sends thousands of requests with
                  // one key; test/integration/api-rate-limits.test.ts and team-rate-limits.test.ts set their own
                  ...Object.fromEntries(
                    ["RUN_CREATES", "FOLLOWUPS", "ATTACHES", "REQUESTS"].flatMap((b) =>
                      ["KEY", "TEAM"].map((per) => [`${b}_PER_${per}_PER_MINUTE`, "1000000"]),
                    ),
                  ),
                  // test/integration/api-fuzz.test.ts: a fixed seed by default; set these to explore
                  FUZZ_SEED: process.env.FUZZ_SEED ?? "",
                  FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
                  SLACK_API_URL: "http://127.0.0.1:9/api", // no Slack here: tests that call it pass the fake as `fetcher`
                  WEBHOOKS_ALLOW_PRIVATE: "true", // webhooks reach the tests' receiver on 127.0.0.1; test/integration/webhooks-api.test.ts sets its own
                },
              },
            }),
          ],
          test: {
            name: "worker",
            include: [
              "test/{unit,integration,durable-objects,cron,queues}/**/*.test.ts",
              "test/security/*.test.ts",
            ],
            setupFiles: ["./test/helpers/apply-migrations.ts"],
            // outbound webhooks' receiver and a scripted model server, in Node
            globalSetup: [
              "./test/helpers/webhook-receiver-setup.ts",
              // the model gateway's provider (test/fakes/model-server.ts)
              "./test/helpers/model-server-setup.ts",
            ],
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/node/**/*.test.ts", "test/security/node/**/*.test.ts"],
            testTimeout: 30_000,
          },
        },
        {
          test: {
            name: "e2e",
            environment: "node",
            include: ["test/e2e/**/*.test.ts"],
            testTimeout: 60_000,
            // a server's start (migrations, then wrangler dev until it answers) took over two minutes
            // once on a loaded 2-core machine; a start that never comes still fails, with its logs
            hookTimeout: 240_000,
            fileParallelism: false,
          },
        },
        {
          test: {
            // the web console in Debian's chromium (playwright-core) against a real platform; one platform per file
            name: "browser",
            environment: "node",
            include: ["test/browser/**/*.test.ts"],
            testTimeout: 120_000,
            hookTimeout: 240_000,
            // a page loads, fetches and renders before what a poll waits for shows: a loaded
            // machine can take more than vitest's 1 s default (a poll only waits when failing)
            expect: { poll: { timeout: 10_000 } },
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
