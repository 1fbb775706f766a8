import { createDb } from "../db/client.ts";
import { pruneIdempotencyKeys } from "../services/idempotency.ts";

/** Every minute: drop idempotency records past their 24 h window. Schedules join here later. */
export async function runHousekeeping(env: Env, now: number) {
  const pruned = await pruneIdempotencyKeys(createDb(env.DB), now);
  if (pruned) console.log(JSON.stringify({ msg: "housekeeping", idempotency_keys_pruned: pruned }));
  return { idempotencyKeysPruned: pruned };
}
