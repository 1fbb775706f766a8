// `npm run bench -- api`'s limiter section: what the per-key and per-team rate limiter adds to a
// request (its own `Server-Timing: ratelimit;dur=…;desc=…`: "lease" when the isolate's leased
// tokens answered, "object" when it waited for a RateLimiter Durable Object, as every request did
// before leases), and a key past its budget refused 429 while another key of the team goes on.
import { BENCH_ATTACHES_PER_KEY } from "./bench-state.ts";
import { round } from "./load.ts";

export type LimiterResult = {
  added_ms: { p50: number; p95: number; samples: number };
  /** the same samples by path, in one run: the object call is what every request paid before */
  by_path: Record<"lease" | "object", { p50: number | null; samples: number }>;
  added_p50_target_ms: number;
  added_p50_pass: boolean;
  limited_key: {
    budget_per_minute: number;
    sent: number;
    ok: number;
    refused_429: number;
    /** the token bucket's bound over the burst: the budget plus what refilled while it lasted */
    at_most: number;
    seconds: number;
  };
  refusal: {
    retry_after: string | null;
    ratelimit_policy: string | null;
    ratelimit: string | null;
  };
  other_key_status: number;
};

const TARGET_MS = 1;
/** a fresh key every this many samples: its first request waits for the objects */
const SAMPLES_PER_KEY = 10;

async function call(url: string, key: string, method = "GET", body?: unknown) {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  await res.arrayBuffer();
  return res;
}

/**
 * A burst of attach tokens from one fresh key (the bench server limits that budget, per key and
 * per team): the limiter's cost from each answer's `Server-Timing`, the refusals past the
 * key's budget, and another key's answer after them.
 */
export async function limiterCheck(
  baseUrl: string,
  ownerKey: string,
  runId: string,
  samples: number,
): Promise<LimiterResult> {
  const mint = async (name: string) => {
    const res = await fetch(`${baseUrl}/api/v1/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ownerKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    return ((await res.json()) as { key: string }).key;
  };
  const tokenUrl = `${baseUrl}/api/v1/agent/runs/${runId}/session-token`;
  const durations: number[] = [];
  const byPath = { lease: [] as number[], object: [] as number[] };
  const timed = async (key: string) => {
    const res = await call(tokenUrl, key, "POST");
    const m = /ratelimit;dur=([\d.]+);desc="(\w+)"/.exec(res.headers.get("server-timing") ?? "");
    if (m) {
      durations.push(Number(m[1]));
      byPath[m[2] === "lease" ? "lease" : "object"].push(Number(m[1]));
    }
    return res;
  };
  // the cost: keys each within their budget
  let sampler = "";
  for (let i = 0; i < samples; i++) {
    if (i % SAMPLES_PER_KEY === 0) sampler = await mint(`bench-sampler-${i}`);
    await timed(sampler);
  }
  const pctOf = (list: number[], p: number) => {
    const sorted = [...list].sort((a, b) => a - b);
    return sorted.length
      ? round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)])
      : null;
  };
  const pct = (p: number) => pctOf(durations, p) ?? 0;
  const [limited, other] = [await mint("bench-limited"), await mint("bench-other")];
  // twice the budget, 10 at a time: quick enough that a slow machine's refill stays small
  const sent = BENCH_ATTACHES_PER_KEY * 2;
  let ok = 0;
  let refused = 0;
  let last: Response | undefined;
  const burstStart = performance.now();
  for (let i = 0; i < sent; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: 10 }, () => call(tokenUrl, limited, "POST")),
    );
    for (const res of batch) {
      if (res.status === 200) ok++;
      if (res.status === 429) {
        refused++;
        last = res;
      }
    }
  }
  const seconds = (performance.now() - burstStart) / 1000;
  const otherStatus = (await call(tokenUrl, other, "POST")).status;
  const p50 = pct(50);
  return {
    added_ms: { p50, p95: pct(95), samples: durations.length },
    by_path: {
      lease: { p50: pctOf(byPath.lease, 50), samples: byPath.lease.length },
      object: { p50: pctOf(byPath.object, 50), samples: byPath.object.length },
    },
    added_p50_target_ms: TARGET_MS,
    added_p50_pass: p50 < TARGET_MS,
    limited_key: {
      budget_per_minute: BENCH_ATTACHES_PER_KEY,
      sent,
      ok,
      refused_429: refused,
      at_most: BENCH_ATTACHES_PER_KEY + Math.floor((seconds * BENCH_ATTACHES_PER_KEY) / 60),
      seconds: round(seconds, 1),
    },
    refusal: {
      retry_after: last?.headers.get("retry-after") ?? null,
      ratelimit_policy: last?.headers.get("ratelimit-policy") ?? null,
      ratelimit: last?.headers.get("ratelimit") ?? null,
    },
    other_key_status: otherStatus,
  };
}
