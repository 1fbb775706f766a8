import { DispatchMessage } from "@ambit/protocol";
import { SYSTEM } from "../../durable-objects/host-pool/dispatch.ts";
import { hostPool, runSession } from "../../durable-objects/stubs.ts";
import { log } from "../lib/log.ts";

/**
 * Consumer of the `RUNS` queue: offers each run to its HostPool, which dedups redeliveries.
 * Runs of different pools are offered concurrently; the runs of one pool in one call, in the order
 * they came, so its line stays first come, first served. A message that keeps failing goes to the
 * dead-letter queue, whose consumer ends the run ERROR.
 */
export async function consumeRunsQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  const byPool = new Map<string, { msg: Message<unknown>; m: DispatchMessage }[]>();
  for (const msg of batch.messages) {
    const parsed = DispatchMessage.safeParse(msg.body);
    if (!parsed.success) {
      log.warn("runs queue: unknown message dropped", { queue: batch.queue, id: msg.id });
      msg.ack();
      continue;
    }
    const key = `${parsed.data.team_id}:${parsed.data.pool}`;
    byPool.set(key, [...(byPool.get(key) ?? []), { msg, m: parsed.data }]);
  }
  await Promise.all(
    [...byPool.values()].map(async (group) => {
      if (!dead) return offer(env, group);
      for (const { msg, m } of group) await endUndeliverable(env, msg, m);
    }),
  );
}

type Delivery = { msg: Message<unknown>; m: DispatchMessage };

async function offer(env: Env, group: Delivery[]) {
  const { m } = group[0];
  try {
    await hostPool(env, m.team_id, m.pool).offerAll(
      group.map(({ m }) => ({
        runId: m.run_id,
        teamId: m.team_id,
        pool: m.pool,
        executionId: m.execution_id,
        sessionOpen: m.session_open,
      })),
    );
    for (const { msg } of group) msg.ack();
  } catch (err) {
    for (const d of group) retry(d, err);
  }
}

async function endUndeliverable(env: Env, msg: Message<unknown>, m: DispatchMessage) {
  try {
    await runSession(env, m.run_id).command(
      { runId: m.run_id, teamId: m.team_id },
      "error",
      SYSTEM,
      {
        message: `Could not be dispatched to worker_host=${m.pool} after ${msg.attempts} attempts; start a new run, and check the platform's logs if it repeats`,
        error_code: "internal_error",
        retryable: true,
      },
    );
    msg.ack();
  } catch (err) {
    retry({ msg, m }, err);
  }
}

function retry({ msg, m }: Delivery, err: unknown) {
  log.error("runs queue: delivery failed; will retry", {
    queue: "runs",
    run_id: m.run_id,
    attempts: msg.attempts,
    error: err,
  });
  msg.retry({ delaySeconds: Math.min(30, 2 ** msg.attempts) });
}
