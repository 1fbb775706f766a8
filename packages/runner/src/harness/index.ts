import type { Harness } from "./types.ts";

/**
 * The harness for a run's `agent_config.harness.type`, or null when this host has none for it.
 * (The harness implementations land here; until then no type is available.)
 */
export function createHarness(_type: string): Harness | null {
  return null;
}
