// What the web bench watches inside the page. `probe` is installed before the page's own scripts
// (`addInitScript`): it records every long task (PerformanceObserver 'longtask': a main-thread
// task over 50 ms) and the moment each watched selector first matches an element that is in view,
// on the page's clock (`performance.now()`: ms since the navigation started).
import type { Page } from "playwright-core";

export type ProbeState = {
  /** name → performance.now() when its selector first matched an element in view (in the DOM) */
  marks: Record<string, number>;
  /** name → the same moment after the next frame was painted (rAF, then a task) */
  painted: Record<string, number>;
  /** name → Date.now() at the mark: comparable with the bench process's clock */
  wall: Record<string, number>;
  /** [start, duration] of each long task, ms on the page's clock */
  longtasks: [number, number][];
};

type BenchWindow = Window & {
  __bench: ProbeState & { watch(name: string, selector: string): void };
};

/** Runs in the page (serialized by Playwright): must not refer to anything outside itself. */
export function probe(watched: Record<string, string>) {
  const marks: Record<string, string> = { ...watched };
  const state = { marks: {}, painted: {}, wall: {}, longtasks: [] } as ProbeState;
  // an element counts once it intersects the viewport and the scrolling list it is in (if any)
  const inView = (el: Element) => {
    const r = el.getBoundingClientRect();
    if (r.height === 0 || r.bottom <= 0 || r.top >= innerHeight) return false;
    const box = el.closest(".vlist")?.getBoundingClientRect();
    return !box || (r.bottom > box.top && r.top < box.bottom);
  };
  const check = () => {
    for (const [name, selector] of Object.entries(marks)) {
      if (name in state.marks) continue;
      const el = document.querySelector(selector);
      if (!el || !inView(el)) continue;
      state.marks[name] = performance.now();
      state.wall[name] = Date.now();
      requestAnimationFrame(() => setTimeout(() => (state.painted[name] = performance.now())));
    }
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) state.longtasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
  new MutationObserver(check).observe(document, {
    childList: true,
    subtree: true,
    characterData: true,
    attributes: true,
    attributeFilter: ["style"],
  });
  document.addEventListener("scroll", check, { capture: true, passive: true });
  (window as unknown as BenchWindow).__bench = Object.assign(state, {
    watch(name: string, selector: string) {
      marks[name] = selector;
      check();
    },
  });
}

export const probeState = (page: Page) =>
  page.evaluate(() => {
    const { marks, painted, wall, longtasks } = (window as unknown as BenchWindow).__bench;
    return { marks, painted, wall, longtasks, now: performance.now() } as ProbeState & {
      now: number;
    };
  });

/** Starts watching `selector` as `name` on a page already loaded. */
export const watch = (page: Page, name: string, selector: string) =>
  page.evaluate(([n, s]) => (window as unknown as BenchWindow).__bench.watch(n, s), [
    name,
    selector,
  ] as const);

/** Waits until `name` was marked (or, with `painted`, until the frame after it was painted). */
export const marked = (
  page: Page,
  name: string,
  timeout: number,
  of: "marks" | "painted" = "marks",
) =>
  page.waitForFunction(
    ([n, o]) => n in (window as unknown as BenchWindow).__bench[o as "marks" | "painted"],
    [name, of] as const,
    { polling: 50, timeout },
  );

/**
 * Waits until `name` was marked and no long task ended in the last `quietMs`; answers the moment
 * the page became interactive: the later of the mark and the end of the last long task.
 */
export async function interactive(page: Page, name: string, quietMs: number, timeout: number) {
  const settled = page.waitForFunction(
    ([n, quiet]) => {
      const b = (window as unknown as BenchWindow).__bench;
      const at = b.marks[n as string];
      if (at === undefined) return false;
      const lastEnd = Math.max(0, ...b.longtasks.map(([s, d]) => s + d));
      return performance.now() - Math.max(at, lastEnd) >= (quiet as number);
    },
    [name, quietMs] as const,
    { polling: 100, timeout },
  );
  await settled.catch(async (err: Error) => {
    const s = await probeState(page).catch(() => undefined);
    const view = await page
      .evaluate(() => {
        const list = document.querySelector(".vlist");
        return {
          events: document.querySelector("[data-events]")?.getAttribute("data-events"),
          status: document.querySelector("[data-live-status]")?.getAttribute("data-live-status"),
          scroll: list && [list.scrollTop, list.scrollHeight, list.clientHeight],
          lastRow: document.querySelector(".vrow:last-child")?.textContent?.slice(0, 80),
        };
      })
      .catch(() => undefined);
    const tasks = s?.longtasks.slice(-5).map(([t, d]) => [Math.round(t), Math.round(d)]);
    throw new Error(
      `${err.message}; ${name}: ${JSON.stringify({ marks: s?.marks, now: s?.now, tasks, view })}`,
    );
  });
  const s = await probeState(page);
  const lastEnd = Math.max(0, ...s.longtasks.map(([start, d]) => start + d));
  return { state: s, interactiveMs: Math.max(s.marks[name], lastEnd) };
}

/** The long tasks that started within [from, to) on the page's clock. */
export const tasksWithin = (s: ProbeState, from: number, to = Infinity) =>
  s.longtasks.filter(([start]) => start >= from && start < to).map(([, d]) => d);

type TraceEvent = {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: {
    name?: string;
    data?: { url?: string; processId?: number; frames?: { url?: string; processId?: number }[] };
  };
};

/**
 * The renderer main thread's tasks in a Chrome trace (`browser.startTracing`, category
 * `disabled-by-default-devtools.timeline`): each task's wall time and its thread (CPU) time, in
 * ms. Wall time is what the reader feels and what `longtask` reports; thread time is the page's own
 * work, which other load on the machine does not stretch. A trace holds every renderer (a page
 * closed just before, other contexts): only the processes that showed a frame whose URL holds
 * `urlPart` count.
 */
export function mainThreadTasks(trace: Buffer, urlPart: string): { wall: number; cpu: number }[] {
  const events = (JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] }).traceEvents;
  const frames = events.flatMap((e) =>
    e.name === "TracingStartedInBrowser"
      ? (e.args?.data?.frames ?? [])
      : e.name === "FrameCommittedInBrowser" && e.args?.data
        ? [e.args.data]
        : [],
  );
  const pids = new Set(frames.filter((f) => f.url?.includes(urlPart)).map((f) => f.processId));
  const main = new Set(
    events
      .filter(
        (e) =>
          e.ph === "M" &&
          e.name === "thread_name" &&
          e.args?.name === "CrRendererMain" &&
          pids.has(e.pid),
      )
      .map((e) => `${e.pid}:${e.tid}`),
  );
  return events
    .filter((e) => e.name === "RunTask" && e.ph === "X" && main.has(`${e.pid}:${e.tid}`))
    .map((e) => ({ wall: (e.dur ?? 0) / 1000, cpu: (e.tdur ?? 0) / 1000 }));
}
