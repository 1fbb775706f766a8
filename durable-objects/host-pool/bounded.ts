/** What a pump step that took too long rejects with. */
export class StepTimeout extends Error {
  constructor(ms: number) {
    super(`did not settle within ${ms} ms`);
    this.name = "StepTimeout";
  }
}

/**
 * `work`, or a `StepTimeout` after `ms`: an awaited call that never settles (a hung D1 query or
 * Durable Object call) cannot hold up the pool. The work itself is not stopped: whatever it
 * answers late is ignored, so a caller changes nothing after it but what it does on its answer.
 */
export async function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeout(ms)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
