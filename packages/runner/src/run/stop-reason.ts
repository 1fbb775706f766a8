import type { CheckpointReason } from "@ambit/protocol";

/**
 * The checkpoint reason of a stopped run, from why the pool or the host stopped it: its deadline
 * passed (the session's timeout message), the host is shutting down, or someone cancelled it.
 */
export function stopReason(why: string | null): CheckpointReason {
  if (why && /shutting down/i.test(why)) return "drain";
  if (why && /(time limit|timed out|deadline|max(imum)? run time)/i.test(why)) return "timeout";
  return "cancelled";
}
