// @ambit/sdk inside the Workers runtime (workerd), calling the Worker's own fetch handler: the SDK
// needs nothing Node-only, and its pagination, errors and SSE stream work on Workers' fetch and streams.
import { exports } from "cloudflare:workers";
import { Ambit, NotFoundError } from "@ambit/sdk";
import { describe, expect, it } from "vitest";
import { BASE, newTeam } from "../helpers/api.ts";

const sdk = (key: string) => new Ambit({ apiKey: key, baseURL: BASE, fetch: (input, init) => exports.default.fetch(new Request(input, init)) });

describe("@ambit/sdk in workerd", () => {
  it("creates, paginates with for await, retrieves, and maps a 404 to NotFoundError", async () => {
    const t = await newTeam("sdk-workerd");
    const client = sdk(t.key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.agent.runs.create({ prompt: `workerd ${i}`, config: { name: "w" } })).run_id);
    const seen: string[] = [];
    for await (const run of client.agent.runs.list({ name: "w", limit: 1, sort_by: "created_at", sort_order: "asc" })) seen.push(run.run_id);
    expect(seen).toEqual(ids);
    expect((await client.agent.runs.retrieve(ids[0])).prompt).toBe("workerd 0");
    await expect(client.agent.runs.retrieve(crypto.randomUUID())).rejects.toBeInstanceOf(NotFoundError);
  });

  it("streams a run's events over SSE until it is terminal", async () => {
    const t = await newTeam("sdk-workerd");
    const client = sdk(t.key);
    const { run_id } = await client.agent.runs.create({ prompt: "cancel me", config: { worker_host: "nobody" } });
    await client.agent.runs.cancel(run_id);
    const events = [];
    for await (const e of client.agent.runs.stream(run_id, { transport: "sse" })) events.push(e);
    expect(events[0]).toMatchObject({ seq: 1, type: "run.created" });
    expect(events.at(-1)).toMatchObject({ type: "run.state_changed", payload: { to: "CANCELLED" } });
  });
});
