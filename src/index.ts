import { createApp } from "./app.ts";
import { runHousekeeping } from "./cron/housekeeping.ts";
import { fireSchedules } from "./cron/schedules.ts";
import { consumeIntegrationsQueue } from "./queues/integrations-consumer.ts";
import { consumeRunsQueue } from "./queues/runs-consumer.ts";
import { consumeSchedulesQueue } from "./queues/schedules-consumer.ts";
import { consumeEventsQueue } from "./queues/events-consumer.ts";
import { consumeWebhookSendsQueue } from "./queues/webhook-sends-consumer.ts";
import { log } from "./lib/log.ts";
import { withMeter } from "./lib/meter.ts";
import { RunSession } from "../durable-objects/run-session/run-session.ts";
import { HostPool } from "../durable-objects/host-pool/host-pool.ts";
import { RateLimiter } from "../durable-objects/rate-limiter/rate-limiter.ts";
import { TeamLedger } from "../durable-objects/team-ledger/team-ledger.ts";

export { RunSession, HostPool, RateLimiter, TeamLedger };
// bound only in the `containers` wrangler environment (PLATFORM_HOSTS=containers)
export { RunnerContainer } from "../durable-objects/runner-container/runner-container.ts";

const app = createApp();

// withMeter: the billable-operation counters of `npm run bench -- cost`, only with AMBIT_METER=1
export default withMeter(
  {
    fetch: app.fetch,
    queue: (batch, env) => {
      if (batch.queue.startsWith("ambit-schedules")) return consumeSchedulesQueue(batch, env);
      if (batch.queue.startsWith("ambit-integrations")) return consumeIntegrationsQueue(batch, env);
      if (batch.queue.startsWith("ambit-events")) return consumeEventsQueue(batch, env);
      if (batch.queue.startsWith("ambit-webhook-sends"))
        return consumeWebhookSendsQueue(batch, env);
      return consumeRunsQueue(batch, env);
    },
    // both run to completion within the invocation; one failing does not stop the other
    scheduled: async (controller, env, _ctx) => {
      const results = await Promise.allSettled([
        fireSchedules(env, controller.scheduledTime),
        runHousekeeping(env, controller.scheduledTime),
      ]);
      for (const r of results)
        if (r.status === "rejected") log.error("cron task failed", { error: r.reason });
    },
  } satisfies ExportedHandler<Env>,
  [RunSession, HostPool, RateLimiter],
);
