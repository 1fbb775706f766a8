/**
 * Consumer of the `RUNS` dispatch queue and its dead-letter queue. Nothing produces dispatch
 * messages yet: the dispatch issue (#4) adds the producer in createRun and the HostPool hand-off.
 * Until then any message is logged and acknowledged so it cannot loop.
 */
export async function consumeRunsQueue(batch: MessageBatch<unknown>, _env: Env): Promise<void> {
  for (const msg of batch.messages) {
    console.warn(JSON.stringify({ msg: "runs queue message ignored: dispatch is not implemented yet", queue: batch.queue, id: msg.id }));
    msg.ack();
  }
}
