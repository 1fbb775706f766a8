// @ambit/sdk inside the Workers runtime (workerd), calling the Worker's own fetch handler: the SDK
// needs nothing Node-only, and its pagination, errors and SSE stream work on Workers' fetch and streams.
import { exports } from "cloudflare:workers";
import { Ambit, NotFoundError } from "@ambit/sdk";
import { describe, expect, it } from "vitest";
import { BASE, newTeam } from "../helpers/api.ts";
import { asConsole, signIn } from "../helpers/web-sessions.ts";

const sdk = (key: string) =>
  new Ambit({
    apiKey: key,
    baseURL: BASE,
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
  });

describe("@ambit/sdk in workerd", () => {
  it("creates, paginates with for await, retrieves, and maps a 404 to NotFoundError", async () => {
    const t = await newTeam("sdk-workerd");
    const client = sdk(t.key);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await client.agent.runs.create({ prompt: `workerd ${i}`, config: { name: "w" } })).run_id,
      );
    const seen: string[] = [];
    for await (const run of client.agent.runs.list({
      name: "w",
      limit: 1,
      sort_by: "created_at",
      sort_order: "asc",
    }))
      seen.push(run.run_id);
    expect(seen).toEqual(ids);
    expect((await client.agent.runs.retrieve(ids[0])).prompt).toBe("workerd 0");
    await expect(client.agent.runs.retrieve(crypto.randomUUID())).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("streams a run's events over SSE until it is terminal", async () => {
    const t = await newTeam("sdk-workerd");
    const client = sdk(t.key);
    const { run_id } = await client.agent.runs.create({
      prompt: "cancel me",
      config: { worker_host: "nobody" },
    });
    await client.agent.runs.cancel(run_id);
    const events = [];
    for await (const e of client.agent.runs.stream(run_id, { transport: "sse" })) events.push(e);
    expect(events[0]).toMatchObject({ seq: 1, type: "run.created" });
    expect(events.at(-1)).toMatchObject({
      type: "run.state_changed",
      payload: { to: "CANCELLED" },
    });
  });

  it("publicRuns: a shared run and its events with no key, actors anonymous; revoked is a 404", async () => {
    const t = await newTeam("sdk-workerd");
    const client = sdk(t.key);
    const { run_id } = await client.agent.runs.create({
      prompt: "share me",
      config: { worker_host: "nobody" },
    });
    await client.agent.runs.cancel(run_id);
    const { public_url } = await client.agent.runs.share(run_id, { public: "VIEWER" });
    const shareId = public_url!.split("/").at(-1)!;
    const nobody = new Ambit({
      apiKey: null,
      baseURL: BASE,
      fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    });
    expect(await nobody.publicRuns.retrieve(shareId)).toMatchObject({ run_id, state: "CANCELLED" });
    const events = [];
    for await (const e of nobody.publicRuns.stream(shareId, { transport: "sse" })) events.push(e);
    expect(events[0]).toMatchObject({ seq: 1, type: "run.created" });
    expect(events.at(-1)).toMatchObject({ payload: { to: "CANCELLED" } });
    expect(JSON.stringify(events)).not.toContain(t.userId);
    await client.agent.runs.share(run_id, { public: "NONE" });
    await expect(nobody.publicRuns.retrieve(shareId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("me.retrieve() with a key; as the console (apiKey: null, the session cookie) me, auth.sessions.list() and delete()", async () => {
    const t = await newTeam("sdk-workerd");
    expect(await sdk(t.key).me.retrieve()).toMatchObject({
      user: { uid: t.userId },
      team: { uid: t.teamId },
      role: "owner",
      via: "api_key",
    });
    // what a browser adds to the console's same-origin requests
    const asBrowser = (token: string) =>
      new Ambit({
        apiKey: null,
        baseURL: BASE,
        fetch: (input, init) => {
          const req = new Request(input, init);
          for (const [k, v] of Object.entries(asConsole(token))) req.headers.set(k, v);
          return exports.default.fetch(req);
        },
      });
    const [mine, other] = [await signIn(t.key), await signIn(t.key)];
    const console_ = asBrowser(mine);
    expect(await console_.me.retrieve()).toMatchObject({
      user: { uid: t.userId },
      role: "owner",
      via: "session",
    });
    const { sessions } = await console_.auth.sessions.list();
    expect(sessions).toHaveLength(2);
    const otherUid = sessions.find((s) => !s.current)!.uid;
    await console_.auth.sessions.delete(otherUid);
    await expect(asBrowser(other).me.retrieve()).rejects.toMatchObject({ status: 401 });
    await expect(console_.auth.sessions.delete(otherUid)).rejects.toBeInstanceOf(NotFoundError);
    expect((await console_.auth.sessions.list()).sessions.map((s) => s.current)).toEqual([true]);
  });
});
