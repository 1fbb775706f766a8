// HTTP load with autocannon, and a sequential latency sampler, reduced to the figures we report.
import autocannon from "autocannon";

export type LoadOptions = {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** a body; `[<id>]` in it is replaced by a fresh uuid per request */
  body?: string;
  /** paths to rotate through (one picked at random per request) instead of the url's own */
  paths?: string[];
  connections: number;
  duration: number;
};

export type RouteResult = {
  requests_per_sec: number;
  requests: number;
  latency_ms: { p50: number; p90: number; p99: number; mean: number; max: number };
  errors: number;
  timeouts: number;
  non_2xx: number;
  connections: number;
  duration_s: number;
  /** CPU ms the server's processes used per request (set by the caller; Linux only) */
  server_cpu_ms_per_request?: number | null;
};

/** One autocannon run. Latencies are of 2xx answers, at autocannon's 1 ms resolution. */
export async function load(opts: LoadOptions): Promise<RouteResult> {
  const { paths } = opts;
  const r = await autocannon({
    url: opts.url,
    method: opts.method ?? "GET",
    headers: opts.headers,
    body: opts.body,
    idReplacement: opts.body?.includes("[<id>]") ?? false,
    connections: opts.connections,
    duration: opts.duration,
    ...(paths
      ? {
          requests: [
            {
              setupRequest: (req: object) => ({
                ...req,
                path: paths[Math.floor(Math.random() * paths.length)],
              }),
            },
          ],
        }
      : {}),
  });
  return {
    requests_per_sec: round(r.requests.average),
    requests: r.requests.total,
    latency_ms: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      mean: round(r.latency.average),
      max: r.latency.max,
    },
    errors: r.errors,
    timeouts: r.timeouts,
    non_2xx: r.non2xx,
    connections: opts.connections,
    duration_s: opts.duration,
  };
}

export type SampleResult = {
  samples: number;
  non_2xx: number;
  latency_ms: {
    p50: number;
    p90: number;
    p95: number;
    p99: number;
    mean: number;
    min: number;
    max: number;
  };
};

/** `n` requests one after another on one keep-alive connection, timed to the microsecond. */
export async function sequential(
  url: string,
  headers: Record<string, string>,
  n: number,
): Promise<SampleResult> {
  const { times, non2xx } = await timeRequests(url, headers, n);
  return summarizeSamples(times, non2xx);
}

/** The milliseconds each of `n` sequential requests took, and how many were not 2xx. */
export async function timeRequests(
  url: string,
  headers: Record<string, string>,
  n: number,
): Promise<{ times: number[]; non2xx: number }> {
  const times: number[] = [];
  let non2xx = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    times.push(performance.now() - t0);
    if (res.status < 200 || res.status > 299) non2xx++;
  }
  return { times, non2xx };
}

/** Nearest-rank percentiles of request times. */
export function summarizeSamples(times: number[], non2xx: number): SampleResult {
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
  return {
    samples: sorted.length,
    non_2xx: non2xx,
    latency_ms: {
      p50: pct(50),
      p90: pct(90),
      p95: pct(95),
      p99: pct(99),
      mean: round(sorted.reduce((s, t) => s + t, 0) / sorted.length),
      min: round(sorted[0]),
      max: round(sorted.at(-1)!),
    },
  };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
