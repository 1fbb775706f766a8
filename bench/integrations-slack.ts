// The Slack case of `npm run bench -- integrations`: app_mention events at a fixed rate (open
// loop), each from a member (matched by confirmed email) in a thread of its own, to a `slack`
// integration whose Web API is the fake (test/fakes/slack-web-api.ts, in this process, the
// server's SLACK_API_URL). Measures the inbound answer (Slack's deadline: 3 s) and event → the
// first reply posted in its thread (the run's status message, from its `run.created` report).
import { createHmac } from "node:crypto";
import type { startFakeSlackWebApi } from "../test/fakes/slack-web-api.ts";
import { json } from "./lib/bench-state.ts";
import { openLoop } from "./lib/open-loop.ts";

export const SLACK_BOT_TOKEN = "xoxb-bench";
const SIGNING_SECRET = "bench-slack-signing-secret";

type FakeSlack = Awaited<ReturnType<typeof startFakeSlackWebApi>>;

export async function benchSlack(o: {
  url: string;
  auth: Record<string, string>;
  ownerEmail: string;
  slack: FakeSlack;
  n: number;
  rate: number;
  timeoutS: number;
}) {
  const { slack } = o;
  slack.users.set("U1", { id: "U1", email: o.ownerEmail, confirmed: true });
  const integration = await json<{ uid: string }>(
    await fetch(`${o.url}/api/v1/integrations`, {
      method: "POST",
      headers: o.auth,
      body: JSON.stringify({
        type: "slack",
        name: "bench-slack",
        credentials: { signing_secret: SIGNING_SECRET, bot_token: SLACK_BOT_TOKEN },
        settings: { bot_user_id: "UBOT" },
        run_defaults: { worker_host: "bench-nobody" },
      }),
    }),
    201,
  );
  const inbound = `${o.url}/api/v1/integrations/${integration.uid}/events`;
  // each event is a thread of its own: its ts is the thread the reply goes to
  const tsOf = (i: number) => `1800000000.${String(i).padStart(6, "0")}`;
  await openLoop(20, o.rate, (i) => mention(inbound, `EvWarm${i}`, tsOf(900_000 + i)));
  const acks = await openLoop(o.n, o.rate, (i) => mention(inbound, `EvBench${i}`, tsOf(i)));
  const deadline = Date.now() + o.timeoutS * 1000;
  const firstReply = new Map<string, number>();
  while (Date.now() < deadline) {
    for (const c of slack.calls)
      if (
        c.method === "chat.postMessage" &&
        !c.status &&
        c.args.thread_ts?.startsWith("1800000000.")
      )
        if (!firstReply.has(c.args.thread_ts)) firstReply.set(c.args.thread_ts, c.at);
    const done = acks.filter((_, i) => firstReply.has(tsOf(i))).length;
    process.stdout.write(`\r  first replies ${done} / ${o.n}`);
    if (done >= o.n) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stdout.write("\n");
  const toReply = acks
    .map((a, i) => (firstReply.has(tsOf(i)) ? firstReply.get(tsOf(i))! - a.at : undefined))
    .filter((x): x is number => x !== undefined);
  return {
    acks,
    toReply,
    slackCallsPerEvent: slack.calls.length / (o.n + 20),
  };
}

/** One signed app_mention event (Slack's v0 signature, computed here with node:crypto). */
function mention(inbound: string, eventId: string, ts: string) {
  const body = JSON.stringify({
    type: "event_callback",
    team_id: "T1",
    api_app_id: "A1",
    event_id: eventId,
    authorizations: [{ user_id: "UBOT" }],
    event: { type: "app_mention", user: "U1", text: "<@UBOT> fix it", ts, channel: "C1" },
  });
  const stamp = String(Math.floor(Date.now() / 1000));
  const sig = createHmac("sha256", SIGNING_SECRET).update(`v0:${stamp}:${body}`).digest("hex");
  return fetch(inbound, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-slack-request-timestamp": stamp,
      "x-slack-signature": `v0=${sig}`,
    },
    body,
  });
}
