import { createApp } from "./app.ts";
import { runHousekeeping } from "./cron/housekeeping.ts";
import { consumeRunsQueue } from "./queues/runs-consumer.ts";

export { RunSession } from "../durable-objects/run-session/run-session.ts";
export { HostPool } from "../durable-objects/host-pool/host-pool.ts";
// bound only in the `containers` wrangler environment (PLATFORM_HOSTS=containers)
export { RunnerContainer } from "../durable-objects/runner-container/runner-container.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: consumeRunsQueue,
  scheduled: (controller, env, ctx) => ctx.waitUntil(runHousekeeping(env, controller.scheduledTime)),
} satisfies ExportedHandler<Env>;
