// What a scenario's report says about its runs once the load stopped and the dust settled: runs
// lost, duplicated or stuck, and events a live viewer lost or saw out of order.
import type { RunEvent } from "@ambit/protocol";
import { executions, type Planned, type World } from "./world.ts";

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"]);

export type Viewer = { runId: string; seqs: number[]; error?: string; done: Promise<void> };

/** Follows `runId` live with the SDK (its reconnect-and-resume), recording each seq it yields. */
export function watch(world: World, runId: string): Viewer {
  const viewer: Viewer = { runId, seqs: [], done: Promise.resolve() };
  viewer.done = (async () => {
    try {
      for await (const event of world.sdk.agent.runs.stream(runId, {
        after: 0,
        maxReconnects: 50,
        idleTimeoutMs: 10_000,
      }))
        viewer.seqs.push((event as RunEvent).seq);
    } catch (err) {
      viewer.error = String(err);
    }
  })();
  return viewer;
}

export type Tally = {
  runs_planned: number;
  /** a create whose answer never came, even after the SDK's retries with the same idempotency key */
  creates_failed: number;
  /** answered with a run id, but the run is not in the team's list */
  runs_lost: number;
  /** two runs for one idempotency key, or one run's work executing twice at the same time */
  runs_duplicated: number;
  /** not in a terminal state once every host lease has passed */
  runs_stuck: number;
  /** why the SDK gave up on the failed creates (the first five) */
  create_errors: string[];
  by_state: Record<string, number>;
  viewers: number;
  viewer_events_lost: number;
  viewer_events_reordered: number;
  viewer_errors: number;
  /** runs whose work (the shell command) started at least once */
  executions_recorded: number;
  /** a run that ended without finishing its work (ERROR after its host was lost with no checkpoint to resume from) */
  runs_with_work_lost: number;
};

/** Waits until every answered run is terminal (or `settleMs` passes), then counts. */
export async function tally(
  world: World,
  planned: Planned[],
  viewers: Viewer[],
  settleMs: number,
): Promise<Tally> {
  const runIds = planned.flatMap((p) => (p.runId ? [p.runId] : []));
  const deadline = Date.now() + settleMs;
  let states = new Map<string, string>();
  while (true) {
    states = await listStates(world);
    const open = runIds.filter((id) => !TERMINAL.has(states.get(id) ?? ""));
    if (open.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  await Promise.race([
    Promise.all(viewers.map((v) => v.done)),
    new Promise((r) => setTimeout(r, 15_000)),
  ]);
  const byState: Record<string, number> = {};
  for (const id of runIds) {
    const s = states.get(id) ?? "MISSING";
    byState[s] = (byState[s] ?? 0) + 1;
  }
  // a run per token: the list holds one run per idempotency key, or more when a retry duplicated one
  const tokensSeen = new Map<string, number>();
  for (const prompt of (await listPrompts(world)).values()) {
    const token = prompt.match(/chaos-token:(\S+)/)?.[1];
    if (token) tokensSeen.set(token, (tokensSeen.get(token) ?? 0) + 1);
  }
  if (runIds.length > 0 && tokensSeen.size === 0)
    throw new Error("the run list carries no prompts: duplicates cannot be counted");
  const work = executions(world.workLog);
  let overlapping = 0;
  for (const list of work.values()) {
    const sorted = [...list].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++)
      if ((sorted[i - 1].end ?? Number.POSITIVE_INFINITY) > sorted[i].start) overlapping++;
  }
  let lost = 0;
  let reordered = 0;
  for (const v of viewers) {
    const all = await allSeqs(world, v.runId);
    const got = new Set(v.seqs);
    lost += all.filter((s) => !got.has(s)).length;
    for (let i = 1; i < v.seqs.length; i++) if (v.seqs[i] <= v.seqs[i - 1]) reordered++;
  }
  const workLost = planned.filter((p) => {
    const list = work.get(p.token) ?? [];
    return p.runId && states.get(p.runId) === "ERROR" && !list.some((e) => e.end !== undefined);
  }).length;
  return {
    runs_planned: planned.length,
    creates_failed: planned.filter((p) => !p.runId).length,
    create_errors: planned.flatMap((p) => (p.error ? [p.error] : [])).slice(0, 5),
    runs_lost: runIds.filter((id) => !states.has(id)).length,
    runs_duplicated:
      [...tokensSeen.values()].filter((n) => n > 1).reduce((a, n) => a + n - 1, 0) + overlapping,
    runs_stuck: runIds.filter((id) => states.has(id) && !TERMINAL.has(states.get(id) ?? "")).length,
    by_state: byState,
    viewers: viewers.length,
    viewer_events_lost: lost,
    viewer_events_reordered: reordered,
    viewer_errors: viewers.filter((v) => v.error).length,
    executions_recorded: work.size,
    runs_with_work_lost: workLost,
  };
}

async function listStates(world: World) {
  const states = new Map<string, string>();
  for await (const run of world.sdk.agent.runs.list({ limit: 500 }))
    states.set(run.run_id, run.state);
  return states;
}

async function listPrompts(world: World) {
  const prompts = new Map<string, string>();
  for await (const run of world.sdk.agent.runs.list({ limit: 500 }))
    prompts.set(run.run_id, String(run.prompt ?? ""));
  return prompts;
}

async function allSeqs(world: World, runId: string): Promise<number[]> {
  const seqs: number[] = [];
  let after = 0;
  while (true) {
    const page = await world.sdk.agent.runs.events(runId, { after, limit: 500 });
    for (const e of page.events) seqs.push(e.seq);
    if (!page.has_more || page.events.length === 0) return seqs;
    after = page.events.at(-1)?.seq ?? after;
  }
}
