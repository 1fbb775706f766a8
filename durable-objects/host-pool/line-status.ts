import { chooseHost, type HostLoad } from "./choose.ts";
import type { TeamLoad } from "./team-load.ts";

/**
 * How many runs at the head of the line are told their exact position. A run further back is told
 * only that at least this many runs are ahead of it: true until it reaches the head, so it need
 * not be told again each time the line moves (that would cost a RunSession call per run per move).
 */
export const EXACT_POSITIONS = 10;

/** Why the whole line waits: the same for every run in it. */
export type LineReason =
  | { kind: "no_host"; pool: string }
  | { kind: "busy"; pool: string; hosts: number }
  | { kind: "limit"; pool: string; active: number; max: number };

/**
 * Pure: why the line waits, from the pool's connected hosts (those that said hello) and the team's
 * load as last read while a host had room (`atLimit`, null when the last read was under the limit).
 * No host: nothing can take a run. Every host full: they are busy, whatever the limit. A host with
 * room while runs wait: only the team's limit can hold them back.
 */
export function lineReason(pool: string, hosts: HostLoad[], atLimit: TeamLoad | null): LineReason {
  if (!hosts.length) return { kind: "no_host", pool };
  if (atLimit && chooseHost(hosts))
    return { kind: "limit", pool, active: atLimit.active, max: atLimit.maxConcurrentRuns };
  return { kind: "busy", pool, hosts: hosts.length };
}

/**
 * Pure: the `status_message` of the run at `position` (1-based) in a line waiting for `reason`;
 * `container` when a runner container is starting for that run (PLATFORM_HOSTS=containers). Every
 * position past EXACT_POSITIONS gets the same message.
 *
 * @example waitMessage({ kind: "busy", pool: "gpu", hosts: 2 }, 3) // "Waiting: all 2 hosts of worker_host=gpu are busy (position 3 in line)"
 */
export function waitMessage(reason: LineReason, position: number, container = false): string {
  const where =
    position <= EXACT_POSITIONS
      ? `position ${position} in line`
      : `${EXACT_POSITIONS} or more runs ahead of it in line`;
  if (reason.kind === "limit") {
    return (
      `Waiting: the team's concurrency limit is reached (${reason.active} of ${reason.max} runs active; ${where}); ` +
      "runs start as active ones end, or an admin raises limits.max_concurrent_runs with PATCH /api/v1/team"
    );
  }
  if (container) return "Waiting: a runner container is starting for this run";
  if (reason.kind === "busy")
    return `Waiting: all ${reason.hosts} host${reason.hosts === 1 ? "" : "s"} of worker_host=${reason.pool} are busy (${where})`;
  return `Waiting: no host is connected for worker_host=${reason.pool}; start one with \`ambit host start\``;
}

/** A run in line as the refresh sees it: the message its session was last told (null: none yet). */
export type LineSlot = { run_id: string; told: string | null; container: boolean };

/**
 * Pure: the runs at the head of the line (in order, at most EXACT_POSITIONS) whose message is no
 * longer what they were told, with the message they must be told now.
 */
export function headMessages(
  reason: LineReason,
  head: LineSlot[],
): { run_id: string; message: string }[] {
  return head
    .slice(0, EXACT_POSITIONS)
    .map((slot, i) => ({
      run_id: slot.run_id,
      message: waitMessage(reason, i + 1, slot.container),
      told: slot.told,
    }))
    .filter((m) => m.message !== m.told)
    .map(({ run_id, message }) => ({ run_id, message }));
}

/** Pure: the messages of every run behind the head, without and with a container starting for it. */
export const behindMessages = (reason: LineReason) => ({
  plain: waitMessage(reason, EXACT_POSITIONS + 1),
  container: waitMessage(reason, EXACT_POSITIONS + 1, true),
});
