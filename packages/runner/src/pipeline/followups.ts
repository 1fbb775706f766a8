import type { Followups } from "../harness/types.ts";

/** The follow-ups of one run, in arrival order: taken in bulk (`drain`) or awaited (`next`). */
export class FollowupQueue implements Followups {
  private queue: string[] = [];
  private waiters: ((message: string) => void)[] = [];

  push(message: string) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(message);
    else this.queue.push(message);
  }

  get size() {
    return this.queue.length;
  }

  drain(): string[] {
    return this.queue.splice(0);
  }

  next(signal?: AbortSignal): Promise<string> {
    const ready = this.queue.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason ?? new Error("aborted"));
      };
      const waiter = (message: string) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(message);
      };
      this.waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
