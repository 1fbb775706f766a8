import type { z } from "zod";
import { log } from "../lib/log.ts";

/**
 * The messages of a batch that parse as `schema`; any other is acked and dropped with a warning
 * (a message from an older or newer deploy must not be retried forever).
 */
export function parsedMessages<T>(
  batch: MessageBatch<unknown>,
  schema: z.ZodType<T>,
): { msg: Message<unknown>; body: T }[] {
  const valid: { msg: Message<unknown>; body: T }[] = [];
  for (const msg of batch.messages) {
    const parsed = schema.safeParse(msg.body);
    if (parsed.success) valid.push({ msg, body: parsed.data });
    else {
      log.warn("queue: unknown message dropped", { queue: batch.queue, id: msg.id });
      msg.ack();
    }
  }
  return valid;
}

/** Runs `work` over `items`, at most `concurrency` at once (to overlap D1 and RPC round trips). */
export async function eachConcurrently<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
