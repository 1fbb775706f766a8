// The API's rate limits on a real `wrangler dev`: a burst from one key past its budget is answered
// 429 with `Retry-After` and the `RateLimit` headers while another key of the team goes on, the
// key recovers once `Retry-After` has passed, and the SDK waits such an answer out by itself.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ambit } from "../../packages/sdk/src/index.ts";
import { api, type E2eServer, startE2eServer } from "./helpers.ts";

let s: E2eServer;

beforeAll(async () => {
  // 60 a minute: a token a second, so a refusal's Retry-After is short
  s = await startE2eServer({
    teamName: "e2e-rate-limits",
    vars: { REQUESTS_PER_KEY_PER_MINUTE: "60" },
  });
});
afterAll(() => s?.stop());

describe("API rate limits under a burst", () => {
  it("refuses a key past its budget with the headers, spares another key, and recovers", async () => {
    const mint = async (name: string) =>
      (await api(s.url, "POST", "/api/v1/api-keys", { key: s.key, body: { name } })).json
        .key as string;
    const [limited, other] = [await mint("limited"), await mint("other")];
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof api>> | undefined;
    for (let i = 0; i < 8; i++) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, () => api(s.url, "GET", "/api/v1/agent/runs", { key: limited })),
      );
      for (const r of batch) {
        statuses.push(r.status);
        if (r.status === 429) refused = r;
      }
    }
    const ok = statuses.filter((x) => x === 200).length;
    expect(ok).toBeGreaterThanOrEqual(55); // the burst of 60, less what other isolates may hold
    expect(refused, `statuses: ${statuses.join(",")}`).toBeDefined();
    expect(refused!.json).toMatchObject({ error_code: "rate_limited", status: 429 });
    const retryAfter = Number(refused!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused!.headers.get("ratelimit-policy")).toMatch(/"key-requests";q=60;w=60/);
    expect(refused!.headers.get("ratelimit")).toMatch(/"key-requests";r=0;t=\d+/);
    expect((await api(s.url, "GET", "/api/v1/agent/runs", { key: other })).status).toBe(200);

    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 200));
    const after = await api(s.url, "GET", "/api/v1/agent/runs", { key: limited });
    expect(after.status, after.text).toBe(200);

    // the SDK, past the budget again, waits Retry-After itself and answers
    for (let i = 0; i < 5; i++) await api(s.url, "GET", "/api/v1/agent/runs", { key: limited });
    const client = new Ambit({ baseURL: s.url, apiKey: limited });
    await expect(client.team.retrieve()).resolves.toMatchObject({ uid: s.team.uid });
  });
});
