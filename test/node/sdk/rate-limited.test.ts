// The SDK against a server that rate-limits it: a 429 `rate_limited` with `Retry-After` is waited
// out and retried (the platform's answer: middleware/api-rate-limit.ts), not thrown.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ambit } from "../../../packages/sdk/src/index.ts";

const seen: number[] = [];
const server = createServer((_req, res) => {
  seen.push(Date.now());
  if (seen.length === 1) {
    res.writeHead(429, {
      "content-type": "application/problem+json",
      "retry-after": "1",
      "x-should-retry": "true",
      "ratelimit-policy": '"key-requests";q=1;w=60',
      ratelimit: '"key-requests";r=0;t=60',
    });
    res.end(JSON.stringify({ status: 429, error_code: "rate_limited", retryable: true }));
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ uid: "t1", name: "team" }));
});

beforeAll(() => new Promise<void>((r) => server.listen(0, "127.0.0.1", r)));
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("the SDK when rate-limited", () => {
  it("waits Retry-After and retries a 429, then answers", async () => {
    const { port } = server.address() as AddressInfo;
    const client = new Ambit({ baseURL: `http://127.0.0.1:${port}`, apiKey: "ambit_test" });
    const team = await client.team.retrieve();
    expect(team).toMatchObject({ uid: "t1" });
    expect(seen).toHaveLength(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950);
  });
});
