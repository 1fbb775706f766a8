import { PlatformEventMessage, PlatformEventsMessage, WebhookEventType } from "@ambit/protocol";
import { reportToIntegrations, runsWithThreads } from "../integrations/report.ts";
import { log } from "../lib/log.ts";
import { enabledWebhooks, fanOutEvent, type TeamWebhook } from "../services/webhooks/fan-out.ts";

/**
 * Consumer of the `EVENTS` queue: each platform event goes back to the integration that started
 * its run, if any (src/integrations/report.ts: a GitHub comment edited, ...; it never throws, and
 * a kind's report is idempotent), and becomes one delivery per outbound webhook
 * of its team that subscribes to its type (src/services/webhooks/fan-out.ts), whose attempts the
 * `WEBHOOK_SENDS` consumer makes. Deliveries are unique per (webhook, event id), so an event
 * delivered again sends nothing twice. A message carries one event, or the events of one change
 * of a run (`PlatformEventsMessage`), taken apart here in their order; it is acked once all of
 * them are done, and delivered again whole otherwise. An event that keeps failing lands in the
 * dead-letter queue, whose consumer logs it: its deliveries were never made.
 */
export async function consumeEventsQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  const events: { msg: Message<unknown>; event: PlatformEventMessage }[] = [];
  for (const msg of batch.messages) {
    const parsed = eventsOf(msg.body);
    if (!parsed) {
      log.warn("events queue: unknown message dropped", { queue: batch.queue, id: msg.id });
      msg.ack();
    } else if (dead) {
      for (const event of parsed)
        log.error("platform event dropped after every retry: its webhooks never heard of it", {
          event_id: event.id,
          team_id: event.team_id,
          type: event.type,
        });
      msg.ack();
    } else for (const event of parsed) events.push({ msg, event });
  }
  // a report whose vendor asked us to wait (a 429, an outage): its message comes back after the
  // wait (fan-out deduplicates by event id, and a kind's report skips what it already showed)
  const waits = new Map<string, number>();
  const attempts = new Map(events.map(({ msg, event }) => [event.id, msg.attempts]));
  // what the batch's events may go to, read once for the batch rather than once per event (a run
  // makes ~6 events; most runs have no integration and most teams no webhook)
  const chains = byRun(events.map((e) => e.event));
  const [threaded, hooks] = await Promise.all([
    runsWithThreads(
      env,
      chains.map((c) => c[0].data.run_id as string),
    ),
    webhooksByTeam(
      env,
      events.map((e) => e.event.team_id),
    ),
  ]);
  // a run's reports one after the other, oldest first: the first writes the run's comment and
  // the next ones edit it (in parallel, each would find none and write its own)
  const reports = Promise.all(
    chains
      .filter((chain) => threaded.has(chain[0].data.run_id as string))
      .map(async (chain) => {
        for (const event of chain) {
          const attempt = attempts.get(event.id) ?? 1;
          const r = await reportToIntegrations(env, event, undefined, attempt);
          if (r.retryAfterSeconds) waits.set(event.id, r.retryAfterSeconds);
        }
      }),
  );
  // a message's outcome: acked once every event it carries is done; else delivered again (all of
  // it: fan-out and reports skip what they already did) after the longest wait one asked for
  const outcomes = new Map<Message<unknown>, { failed: boolean; wait: number }>();
  await Promise.all(
    events.map(async ({ msg, event }) => {
      const outcome = outcomes.get(msg) ?? { failed: false, wait: 0 };
      outcomes.set(msg, outcome);
      try {
        // internal events (run.progress) are no webhook's: only integrations hear of them
        if (WebhookEventType.safeParse(event.type).success)
          await fanOutEvent(env, event, hooks.get(event.team_id));
        await reports;
        outcome.wait = Math.max(outcome.wait, waits.get(event.id) ?? 0);
      } catch (err) {
        log.error("events queue: fan-out failed; will retry", {
          event_id: event.id,
          attempts: msg.attempts,
          error: err,
        });
        outcome.failed = true;
      }
    }),
  );
  for (const [msg, { failed, wait }] of outcomes) {
    if (failed) msg.retry({ delaySeconds: Math.min(60, 2 ** msg.attempts) });
    else if (wait) msg.retry({ delaySeconds: wait });
    else msg.ack();
  }
}

/** The events a message carries, in order; null: not an events message. */
function eventsOf(body: unknown): PlatformEventMessage[] | null {
  const one = PlatformEventMessage.safeParse(body);
  if (one.success) return [one.data];
  const several = PlatformEventsMessage.safeParse(body);
  return several.success ? several.data.events : null;
}

/** The enabled webhooks of each team of the batch, one query per team. */
async function webhooksByTeam(env: Env, teamIds: string[]) {
  const teams = [...new Set(teamIds)];
  const lists = await Promise.all(teams.map((t) => enabledWebhooks(env, t)));
  return new Map<string, TeamWebhook[]>(teams.map((t, i) => [t, lists[i]]));
}

/** The run events of a batch by run, each run's in the order they happened. */
function byRun(events: PlatformEventMessage[]): PlatformEventMessage[][] {
  const runs = new Map<string, PlatformEventMessage[]>();
  for (const e of events) {
    const runId = typeof e.data.run_id === "string" ? e.data.run_id : undefined;
    if (runId) runs.set(runId, [...(runs.get(runId) ?? []), e]);
  }
  return [...runs.values()].map((chain) => chain.sort((a, b) => a.at - b.at || rank(a) - rank(b)));
}

/** At the same moment: created, then changed, then completed. */
const rank = (e: PlatformEventMessage) =>
  e.type === "run.created" ? 0 : e.type === "run.completed" ? 2 : 1;
