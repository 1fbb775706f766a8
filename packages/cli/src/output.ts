import type { Writable } from "node:stream";

/** Where a command writes: stdout for results, stderr for progress, hints and errors. */
export type Io = {
  out: Writable & { isTTY?: boolean; columns?: number };
  err: Writable & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
};

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;
export type Style = keyof typeof CODES;

/** Colours for a stream: only on a terminal, and never with NO_COLOR. */
export function painter(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv) {
  const on = !!stream.isTTY && !env.NO_COLOR && env.TERM !== "dumb";
  return (style: Style, text: string) =>
    on ? `\x1b[${CODES[style][0]}m${text}\x1b[${CODES[style][1]}m` : text;
}

export function printJson(io: Io, value: unknown) {
  io.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain text table: a header row and left-aligned columns, the last one left ragged. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

/** `text` cut to `max` characters with an ellipsis, on one line. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** "3m ago", "2h ago", "5d ago" for a timestamp. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "-";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** `mm:ss` (or `h:mm:ss`) for a duration in ms. */
export function clock(ms: number): string {
  const t = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(t / 3600);
  const mm = String(Math.floor((t % 3600) / 60)).padStart(2, "0");
  const ss = String(t % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
