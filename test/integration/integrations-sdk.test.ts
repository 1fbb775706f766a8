// client.integrations of @ambit/sdk against the Worker: create, update, the delivery log paged
// with for await, redeliver, delete.
import { exports } from "cloudflare:workers";
import { Ambit, NotFoundError } from "@ambit/sdk";
import { describe, expect, it, vi } from "vitest";
import { BASE, newTeam } from "../helpers/api.ts";
import { deliver, processed } from "../helpers/integrations.ts";

vi.setConfig({ testTimeout: 30_000 });

const sdk = (key: string) =>
  new Ambit({
    apiKey: key,
    baseURL: BASE,
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
  });

describe("client.integrations", () => {
  it("creates, pages deliveries, redelivers, updates and deletes", async () => {
    const t = await newTeam("sdk-integrations");
    const client = sdk(t.key);
    const hook = await client.integrations.create({ type: "webhook", name: "tickets" });
    const secret = hook.generated_credentials!.secret;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await deliver(hook.uid, secret, { i });
      ids.push((await processed(t.key, hook.uid, res.json.delivery_id)).id);
    }
    const seen: string[] = [];
    for await (const d of client.integrations.deliveries(hook.uid, { limit: 1 })) seen.push(d.id);
    expect(seen).toEqual([...ids].reverse());
    const again = await client.integrations.redeliver(hook.uid, ids[0]);
    expect(again.redelivery_of).toBe(ids[0]);
    const updated = await client.integrations.update(hook.uid, { enabled: false });
    expect(updated.enabled).toBe(false);
    expect((await client.integrations.list()).integrations.map((i) => i.uid)).toEqual([hook.uid]);
    await client.integrations.delete(hook.uid);
    await expect(client.integrations.retrieve(hook.uid)).rejects.toBeInstanceOf(NotFoundError);
  });
});
