// The Linear case of `npm run bench -- integrations`: agent sessions (`AgentSessionEvent`
// `created`, each a session of its own, by the team's owner, matched by email) at a fixed rate
// (open loop) to a `linear` integration whose GraphQL API is the fake
// (test/fakes/linear-graphql.ts, in this process, the server's LINEAR_API_URL). Measures the
// inbound answer (Linear's deadline: 5 s) and event → the session's first activity posted
// (Linear wants one within 10 s).
import { createHmac } from "node:crypto";
import type { startFakeLinear } from "../test/fakes/linear-graphql.ts";
import { json } from "./lib/bench-state.ts";
import { openLoop } from "./lib/open-loop.ts";

export const LINEAR_KEY = "lin_api_bench_key";
const WEBHOOK_SECRET = "bench-linear-webhook-secret";

type FakeLinear = Awaited<ReturnType<typeof startFakeLinear>>;

export async function benchLinear(o: {
  url: string;
  auth: Record<string, string>;
  ownerEmail: string;
  linear: FakeLinear;
  n: number;
  rate: number;
  timeoutS: number;
}) {
  const integration = await json<{ uid: string }>(
    await fetch(`${o.url}/api/v1/integrations`, {
      method: "POST",
      headers: o.auth,
      body: JSON.stringify({
        type: "linear",
        name: "bench-linear",
        credentials: { api_key: LINEAR_KEY, webhook_secret: WEBHOOK_SECRET },
        run_defaults: { worker_host: "bench-nobody" },
      }),
    }),
    201,
  );
  const inbound = `${o.url}/api/v1/integrations/${integration.uid}/events`;
  await openLoop(20, o.rate, (i) => deliverLinear(inbound, `warm-session-${i}`, o.ownerEmail));
  const sessions = Array.from({ length: o.n }, (_, i) => `bench-session-${i}`);
  const acks = await openLoop(o.n, o.rate, (i) =>
    deliverLinear(inbound, sessions[i], o.ownerEmail),
  );
  const firstAt = await firstActivities(o.linear, sessions, o.timeoutS);
  const toFirst = sessions
    .map((id, i) => (firstAt.has(id) ? firstAt.get(id)! - acks[i].at : undefined))
    .filter((x): x is number => x !== undefined);
  return { acks, toFirst, linearCallsPerDelivery: o.linear.calls.length / (o.n + 20) };
}

/** One signed `AgentSessionEvent` `created`: the team's owner delegated an issue of its own. */
function deliverLinear(inbound: string, sessionId: string, email: string) {
  const body = JSON.stringify({
    type: "AgentSessionEvent",
    action: "created",
    organizationId: "bench-org",
    webhookTimestamp: Date.now(),
    agentSession: {
      id: sessionId,
      issue: {
        id: `issue-${sessionId}`,
        identifier: "BEN-1",
        title: "bench",
        url: `https://linear.app/bench/issue/${sessionId}`,
      },
      comment: { id: `c-${sessionId}`, body: "please fix this" },
      creatorId: "bench-user",
      creator: { id: "bench-user", name: "bench", email },
    },
  });
  return fetch(inbound, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "linear-delivery": crypto.randomUUID(),
      "linear-event": "AgentSessionEvent",
      "linear-signature": createHmac("sha256", WEBHOOK_SECRET).update(body).digest("hex"),
    },
    body,
  });
}

/** Waits until each session has an activity on the fake (or `timeoutS` passes): the first's time. */
async function firstActivities(
  linear: { activities: { agentSessionId: string; at: number }[] },
  sessions: string[],
  timeoutS: number,
): Promise<Map<string, number>> {
  const wanted = new Set(sessions);
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const first = new Map<string, number>();
    for (const a of linear.activities)
      if (wanted.has(a.agentSessionId) && !first.has(a.agentSessionId))
        first.set(a.agentSessionId, a.at);
    process.stdout.write(`\r  sessions answered ${first.size} / ${sessions.length}`);
    if (first.size >= sessions.length || Date.now() > deadline) {
      process.stdout.write("\n");
      return first;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
