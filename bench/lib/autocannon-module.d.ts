// autocannon ships no types: the part of its API the benches use (bench/lib/load.ts).
declare module "autocannon" {
  type Stats = {
    average: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
  };
  export type Result = {
    requests: Stats;
    latency: Stats;
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  export default function autocannon(opts: Record<string, unknown>): Promise<Result>;
}
