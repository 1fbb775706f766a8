// The SDK's retry rules: x-should-retry wins over the status, server-requested waits are honoured.
import { describe, expect, it } from "vitest";
import { retryDelayMs, shouldRetry } from "../../../packages/sdk/src/core/retry.ts";
import { apiBaseOf } from "../../../packages/sdk/src/core/client.ts";

const res = (status: number, headers: Record<string, string> = {}) =>
  new Response(null, { status, headers });

describe("shouldRetry", () => {
  it("retries 408, 409, 429 and 5xx by default, not other 4xx", () => {
    expect([408, 409, 429, 500, 502, 503].map((s) => shouldRetry(res(s)))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect([400, 401, 403, 404, 413, 422].map((s) => shouldRetry(res(s)))).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it("lets x-should-retry decide either way", () => {
    expect(shouldRetry(res(409, { "x-should-retry": "false" }))).toBe(false);
    expect(shouldRetry(res(500, { "x-should-retry": "false" }))).toBe(false);
    expect(shouldRetry(res(400, { "x-should-retry": "true" }))).toBe(true);
  });
});

describe("retryDelayMs", () => {
  it("honours retry-after-ms, then retry-after in seconds or as a date", () => {
    expect(retryDelayMs(1, new Headers({ "retry-after-ms": "1234", "retry-after": "9" }))).toBe(
      1234,
    );
    expect(retryDelayMs(1, new Headers({ "retry-after": "3" }))).toBe(3000);
    const inTwo = new Date(Date.now() + 2000).toUTCString();
    const d = retryDelayMs(1, new Headers({ "retry-after": inTwo }));
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThanOrEqual(2000);
  });

  it("otherwise backs off exponentially from 0.5 s to at most 8 s, with up to 25% jitter", () => {
    for (const [retry, base] of [
      [1, 500],
      [2, 1000],
      [3, 2000],
      [4, 4000],
      [5, 8000],
      [9, 8000],
    ]) {
      for (let i = 0; i < 20; i++) {
        const d = retryDelayMs(retry);
        expect(d).toBeLessThanOrEqual(base);
        expect(d).toBeGreaterThanOrEqual(base * 0.75);
      }
    }
    expect(retryDelayMs(1, new Headers({ "retry-after": "3600" }))).toBeLessThanOrEqual(500); // an unreasonable wait is not obeyed
  });
});

describe("apiBaseOf", () => {
  it("accepts the platform address with or without /api/v1", () => {
    for (const u of [
      "http://h:8787",
      "http://h:8787/",
      "http://h:8787/api/v1",
      "http://h:8787/api/v1/",
    ])
      expect(apiBaseOf(u)).toBe("http://h:8787/api/v1");
  });
});
