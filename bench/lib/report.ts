// The human summary of a benchmark's JSON result.
import type { RouteResult, SampleResult } from "./load.ts";

const pad = (s: string | number, n: number) => String(s).padStart(n);

export function routeTable(
  routes: Record<string, RouteResult>,
  sample?: { name: string; result: SampleResult },
): string {
  const head = `${"route".padEnd(44)}${pad("req/s", 9)}${pad("cpu ms", 8)}${pad("p50 ms", 9)}${pad("p99 ms", 9)}${pad("requests", 10)}${pad("errors", 8)}${pad("non2xx", 8)}`;
  const lines = [head, "-".repeat(head.length)];
  for (const [name, r] of Object.entries(routes)) {
    lines.push(
      `${name.padEnd(44)}${pad(r.requests_per_sec, 9)}${pad(r.server_cpu_ms_per_request ?? "-", 8)}${pad(r.latency_ms.p50, 9)}${pad(r.latency_ms.p99, 9)}${pad(r.requests, 10)}${pad(r.errors + r.timeouts, 8)}${pad(r.non_2xx, 8)}`,
    );
  }
  if (sample) {
    const s = sample.result;
    lines.push(
      `${sample.name.padEnd(44)}${pad("-", 9)}${pad("-", 8)}${pad(s.latency_ms.p50, 9)}${pad(s.latency_ms.p99, 9)}${pad(s.samples, 10)}${pad(0, 8)}${pad(s.non_2xx, 8)}`,
    );
  }
  return lines.join("\n");
}

/** A table's lines: its head, a rule as wide, its rows. */
export const tableLines = (head: string, rows: string[]) => [
  head,
  "-".repeat(head.length),
  ...rows,
];

export const verdict = (pass: boolean) => (pass ? "PASS" : "MISS");
