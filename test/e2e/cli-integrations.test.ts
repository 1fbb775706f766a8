// `ambit integration …` (the built CLI) against a real `wrangler dev`: create a generic webhook,
// send it a delivery signed by the independent `standardwebhooks` library, see the run in the
// delivery log (text and --json), redeliver it, update, delete; a Linear integration's
// credentials from flags.
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { runCli } from "./cli-run.ts";
import { type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";

let s: E2eServer;
let bin: string;

beforeAll(async () => {
  [bin, s] = await Promise.all([buildCli(), startE2eServer({ teamName: "cli-integrations" })]);
});
afterAll(async () => {
  await s?.stop();
});

const ambit = (args: string[]) =>
  runCli(bin, args, { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key } });
const parsed = (r: { code: number | null; stdout: string; stderr: string }) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
};

describe("ambit integration", () => {
  it("create → signed delivery → deliveries → redeliver → update → delete", async () => {
    const created = parsed(
      await ambit(["integration", "create", "tickets", "-p", "Fix {{payload.ticket}}", "--json"]),
    );
    const secret = created.generated_credentials.secret as string;
    expect(created.credentials).toEqual({ secret: true });

    const body = JSON.stringify({ type: "ticket.created", ticket: "the login bug" });
    const id = "msg_e2e_1";
    const at = new Date();
    const res = await fetch(created.inbound_url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": new Webhook(secret).sign(id, at, body),
      },
      body,
    });
    expect(res.status).toBe(202);

    let first: Json = {};
    await waitFor(async () => {
      const { deliveries } = parsed(
        await ambit(["integration", "deliveries", created.uid, "--json"]),
      );
      first = deliveries[0] ?? {};
      return first.outcome !== undefined && first.outcome !== "received";
    });
    expect(first.outcome, first.reason).toBe("run_created");
    expect(first.event).toBe("ticket.created");
    const text = await ambit(["integration", "deliveries", created.uid]);
    expect(text.stdout).toMatch(/ticket\.created\s+run_created/);

    const again = parsed(
      await ambit(["integration", "redeliver", created.uid, first.id, "--json"]),
    );
    expect(again.redelivery_of).toBe(first.id);

    const off = await ambit(["integration", "update", created.uid, "--disable"]);
    expect(off.stdout).toMatch(/Enabled:\s+no/);
    const listed = await ambit(["integration", "list"]);
    expect(listed.stdout).toContain(created.uid);
    const got = await ambit(["integration", "get", created.uid]);
    expect(got.stdout).toMatch(/Credentials:\s+secret \(set\)/);
    expect(got.stdout).not.toContain(secret.slice(6));
    expect((await ambit(["integration", "delete", created.uid])).code).toBe(0);
    expect((await ambit(["integration", "get", created.uid])).code).not.toBe(0);
  });

  it("create --type linear takes the API key and webhook secret (write-only); update replaces one", async () => {
    const key = "lin_api_cli_test_key";
    const r = await ambit([
      "integration",
      "create",
      "linear",
      "--type",
      "linear",
      "--api-key",
      key,
      "--secret",
      "a-linear-webhook-secret",
      "--settings",
      '{"teams":{"ENG":"env_x"}}',
      "--json",
    ]);
    const created = parsed(r);
    expect(created).toMatchObject({ type: "linear", settings: { teams: { ENG: "env_x" } } });
    expect(created.credentials).toMatchObject({ api_key: true, webhook_secret: true });
    expect(r.stdout + r.stderr).not.toContain(key);
    const updated = parsed(
      await ambit(["integration", "update", created.uid, "--api-key", "lin_api_other", "--json"]),
    );
    expect(updated.credentials).toMatchObject({ api_key: true, webhook_secret: true });
    const wrong = await ambit(["integration", "create", "x", "--api-key", "k"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("--api-key is for linear integrations");
    const help = await ambit(["integration", "create", "--help"]);
    expect(help.stdout).toContain("--api-key");
  });
});
