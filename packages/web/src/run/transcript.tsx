// The live transcript: events folded into items (transcript-items.ts), drawn in a windowed list.
import type { RunEvent } from "@ambit/sdk";
import { memo, useRef } from "react";
import { Markdown } from "../components/markdown.tsx";
import { VirtualList } from "../components/virtual-list.tsx";
import { formatClock, formatDuration } from "../lib/format.ts";
import { type Item, TranscriptBuilder } from "./transcript-items.ts";

export function Transcript({ events }: { events: RunEvent[] }) {
  const built = useRef({ builder: new TranscriptBuilder(), seen: 0 });
  if (events.length < built.current.seen)
    built.current = { builder: new TranscriptBuilder(), seen: 0 };
  if (events.length > built.current.seen) {
    built.current.builder.add(events.slice(built.current.seen));
    built.current.seen = events.length;
  }
  // a new array each time it grew, so the list sees the change
  const items = built.current.builder.items.slice();
  if (!items.length) return <p className="empty">No events yet.</p>;
  return (
    <VirtualList
      items={items}
      keyOf={(i) => i.key}
      render={(i) => <Row item={i} />}
      label="Transcript"
    />
  );
}

const Row = memo(function Row({ item }: { item: Item }) {
  const seqs = item.seqs.join(" ");
  const time = formatClock(item.at);
  switch (item.kind) {
    case "message":
      return (
        <article className="t-message" data-seqs={seqs}>
          <header>
            Agent <time dateTime={item.at}>{time}</time>
          </header>
          <Markdown text={item.text} />
        </article>
      );
    case "tool": {
      const command =
        typeof item.input.command === "string" ? item.input.command : JSON.stringify(item.input);
      return (
        <details className={`t-tool ${item.result ?? "running"}`} data-seqs={seqs}>
          <summary>
            <span className="tool-name">{item.name}</span> <code>{command}</code>{" "}
            <span className="result">{item.result ?? "running…"}</span>
          </summary>
          <pre>{item.output || "(no output)"}</pre>
        </details>
      );
    }
    case "setup":
      return (
        <div className={`t-setup ${item.status}`} data-seqs={seqs}>
          Setup · {item.phase}: {item.name} — {item.status}
          {item.durationMs !== undefined && ` in ${formatDuration(item.durationMs)}`}
          {item.tail && item.status === "failed" && <pre>{item.tail}</pre>}
        </div>
      );
    case "followup":
      return (
        <article className="t-followup" data-seqs={seqs}>
          <header>
            Follow-up from {item.by} <time dateTime={item.at}>{time}</time>
          </header>
          <p>{item.message}</p>
        </article>
      );
    case "state":
      return (
        <div className="t-state" data-seqs={seqs}>
          {item.from ? `${item.from} → ${item.to}` : `Created ${item.to}`}
          {item.why && ` — ${item.why}`}
        </div>
      );
    case "note":
      return (
        <div className={`t-note ${item.tone}`} data-seqs={seqs}>
          {item.text}
        </div>
      );
  }
});
