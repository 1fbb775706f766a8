/** A connected host as the pool sees it when choosing where a run goes. */
export type HostLoad = { conn: string; capacity: number; running: number; lastAssignedAt: number };

/**
 * Pure: the host a run should go to — the least loaded by share of its capacity, then the one
 * that waited longest since its last assignment (fair across hosts of equal load). Null when
 * every host is full.
 */
export function chooseHost(hosts: HostLoad[]): HostLoad | null {
  let best: HostLoad | null = null;
  for (const h of hosts) {
    if (h.running >= h.capacity) continue;
    if (!best) {
      best = h;
      continue;
    }
    const a = h.running / h.capacity;
    const b = best.running / best.capacity;
    if (a < b || (a === b && h.lastAssignedAt < best.lastAssignedAt)) best = h;
  }
  return best;
}
