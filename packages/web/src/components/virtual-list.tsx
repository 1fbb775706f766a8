// A windowed list of rows of varying height: only the rows in view (and a margin) are in the DOM,
// each measured once drawn, so 10,000 events scroll smoothly. It follows the end while the reader
// is there, and offers "Jump to latest" when they scrolled up.
import { type ReactNode, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

const ESTIMATE = 48;
const OVERSCAN_PX = 600;

export function VirtualList<T>({
  items,
  keyOf,
  render,
  label,
}: {
  items: T[];
  keyOf: (item: T) => string | number;
  render: (item: T) => ReactNode;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  const [atEnd, setAtEnd] = useState(true);
  const [, remeasured] = useState(0);
  // The scrollTop the list last set to follow the end (null once the reader left it). A scroll
  // event that finds the list above it is the reader's; one that finds it there with more below
  // (rows added or measured again since, before the follow caught up) is not, and must not stop
  // the following: a replay of thousands of events grows the list between the two.
  const followedTo = useRef<number | null>(0);

  const offsets: number[] = new Array(items.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < items.length; i++)
    offsets[i + 1] = offsets[i] + (heights.current.get(String(keyOf(items[i]))) ?? ESTIMATE);
  const total = offsets[items.length];

  let first = lowerBound(offsets, scroll.top - OVERSCAN_PX);
  first = Math.max(0, first - 1);
  const last = Math.min(
    items.length,
    lowerBound(offsets, scroll.top + scroll.height + OVERSCAN_PX) + 1,
  );

  const onScroll = useCallback(() => {
    const el = box.current!;
    setScroll({ top: el.scrollTop, height: el.clientHeight });
    const end = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    const following = followedTo.current !== null && el.scrollTop >= followedTo.current - 1;
    if (!end && !following) followedTo.current = null;
    setAtEnd(end || following);
  }, []);

  const jumpToEnd = useCallback(() => {
    const el = box.current!;
    el.scrollTop = el.scrollHeight;
    followedTo.current = el.scrollTop;
    setAtEnd(true);
  }, []);

  // new rows while at the end: stay at the end
  // biome-ignore lint/correctness/useExhaustiveDependencies: items.length and total are what trigger the follow, not values it reads
  useLayoutEffect(() => {
    const el = box.current;
    if (!atEnd || !el) return;
    el.scrollTop = el.scrollHeight;
    followedTo.current = el.scrollTop;
  }, [items.length, total, atEnd]);

  useEffect(() => {
    const el = box.current!;
    setScroll({ top: el.scrollTop, height: el.clientHeight });
  }, []);

  // a row's height is known once drawn, and changes when it unfolds (a tool call's output)
  const observer = useRef<ResizeObserver | null>(null);
  useEffect(() => () => observer.current?.disconnect(), []);
  const measure = useCallback((el: HTMLElement | null) => {
    if (!el) return;
    observer.current ??= new ResizeObserver((entries) => {
      let changed = false;
      for (const entry of entries) {
        const key = (entry.target as HTMLElement).dataset.key!;
        const h = entry.borderBoxSize[0]?.blockSize ?? entry.contentRect.height;
        if (h > 0 && heights.current.get(key) !== h) heights.current.set(key, h), (changed = true);
      }
      if (changed) remeasured((n) => n + 1);
    });
    observer.current.observe(el);
    return () => observer.current?.unobserve(el);
  }, []);

  return (
    <div className="vlist-wrap">
      <div
        ref={box}
        className="vlist"
        onScroll={onScroll}
        role="log"
        aria-label={label}
        aria-live="off"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling log must take focus so the keyboard can scroll it (axe: scrollable-region-focusable)
        tabIndex={0}
      >
        <div style={{ height: total, position: "relative" }}>
          {items.slice(first, last).map((item, i) => {
            const key = String(keyOf(item));
            return (
              <div
                key={key}
                data-key={key}
                ref={measure}
                className="vrow"
                style={{ position: "absolute", top: offsets[first + i], left: 0, right: 0 }}
              >
                {render(item)}
              </div>
            );
          })}
        </div>
      </div>
      {!atEnd && (
        <button type="button" className="jump" onClick={jumpToEnd}>
          Jump to latest ↓
        </button>
      )}
    </div>
  );
}

/** The first index whose offset is >= `y`. */
function lowerBound(offsets: number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid] < y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
