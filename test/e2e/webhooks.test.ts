// Outbound webhooks on a real `wrangler dev` (its Queues with their real delays), driven by the
// built `ambit webhook …` commands and the SDK, to a recording receiver in this process; every
// request verified with the independent `standardwebhooks` library.
import { Ambit } from "@ambit/sdk";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../packages/cli/scripts/build.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../fakes/webhook-receiver.ts";
import { runCli } from "./cli-run.ts";
import { type E2eServer, type Json, startE2eServer, waitFor } from "./helpers.ts";

let s: E2eServer;
let bin: string;
let sdk: Ambit;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  [bin, s] = await Promise.all([
    buildCli(),
    startE2eServer({
      teamName: "webhooks",
      // the receiver is on 127.0.0.1; retries 1 s apart instead of 5 s, 5 min, …
      vars: { WEBHOOKS_ALLOW_PRIVATE: "true", WEBHOOKS_RETRY_DELAYS: "1,1,1" },
    }),
  ]);
  sdk = new Ambit({ apiKey: s.key, baseURL: s.url });
});
afterAll(async () => {
  await s?.stop();
  await receiver?.close();
});

const ambit = (args: string[]) =>
  runCli(bin, args, { env: { AMBIT_BASE_URL: s.url, AMBIT_API_KEY: s.key } });
const parsed = (r: { code: number | null; stdout: string; stderr: string }) => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
};
const callsOf = async (name: string) =>
  (await (await fetch(`${receiver.url}/calls/${name}`)).json()) as {
    headers: Record<string, string>;
    body: string;
  }[];

describe("outbound webhooks end to end", () => {
  it("an endpoint that fails twice then succeeds receives the event once more, same webhook-id", async () => {
    const script = [
      { status: 500, body: "down" },
      { status: 502, body: "still down" },
    ];
    await fetch(`${receiver.url}/script/flaky`, { method: "PUT", body: JSON.stringify(script) });
    const hook = parsed(
      await ambit([
        "webhook",
        "create",
        `${receiver.url}/hooks/flaky`,
        "--event",
        "run.created",
        "--json",
      ]),
    );
    expect(hook.secret).toMatch(/^whsec_/);
    const { run_id } = await sdk.agent.runs.create({ prompt: "Fix the flaky test" });
    expect(await waitFor(async () => (await callsOf("flaky")).length >= 3, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000)); // a fourth would have come by now
    const calls = await callsOf("flaky");
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.headers["webhook-id"])).size).toBe(1);
    for (const c of calls) {
      const body = new Webhook(hook.secret).verify(c.body, c.headers) as Json;
      expect(body).toMatchObject({ type: "run.created", data: { run_id, source: "API" } });
    }
    const page = parsed(await ambit(["webhook", "deliveries", hook.uid, "--json"]));
    expect(page.deliveries).toHaveLength(1);
    const [delivery] = page.deliveries;
    expect(delivery).toMatchObject({ status: "succeeded", attempt_count: 3 });
    expect(delivery.attempts.map((a: Json) => a.http_status)).toEqual([200, 502, 500]);
    const human = await ambit(["webhook", "deliveries", hook.uid]);
    expect(human.stdout).toMatch(/run\.created\s+succeeded\s+3\s+200/);

    // resend: the same webhook-id once more; the SDK sees the new attempt
    await ambit(["webhook", "resend", hook.uid, delivery.id]);
    expect(await waitFor(async () => (await callsOf("flaky")).length === 4, 15_000)).toBe(true);
    expect((await callsOf("flaky"))[3].headers["webhook-id"]).toBe(delivery.event_id);
    const again = await sdk.webhooks.deliveries(hook.uid);
    expect(again.deliveries[0].attempts).toHaveLength(4);
  });

  it("every verb from the CLI and the SDK: test, get, list, update, delete", async () => {
    const created = await sdk.webhooks.create({
      url: `${receiver.url}/hooks/verbs`,
      event_types: ["run.completed"],
      description: "sdk",
    });
    const tested = parsed(await ambit(["webhook", "test", created.uid, "--json"]));
    expect(tested.event_type).toBe("webhook.test");
    expect(await waitFor(async () => (await callsOf("verbs")).length === 1, 15_000)).toBe(true);
    const [c] = await callsOf("verbs");
    expect(new Webhook(created.secret).verify(c.body, c.headers)).toMatchObject({
      type: "webhook.test",
    });
    const list = await ambit(["webhook", "list"]);
    expect(list.stdout).toContain(created.uid);
    const updated = parsed(
      await ambit([
        "webhook",
        "update",
        created.uid,
        "--disable",
        "--event",
        "run.followup",
        "--json",
      ]),
    );
    expect(updated).toMatchObject({ enabled: false, event_types: ["run.followup"] });
    const shown = await ambit(["webhook", "get", created.uid]);
    expect(shown.stdout).toMatch(/Enabled\s+no/);
    expect(shown.stdout).not.toContain(created.secret);
    expect((await ambit(["webhook", "delete", created.uid])).code).toBe(0);
    expect((await sdk.webhooks.list()).webhooks.map((w) => w.uid)).not.toContain(created.uid);
  });
});
