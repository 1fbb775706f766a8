import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { SessionClient } from "../../../packages/runner/src/pipeline/session-client.ts";

// A run session as the platform's answers it on attach: `ready` with its last seq, then the replay.
let wss: WebSocketServer | undefined;
let client: SessionClient | undefined;
afterEach(async () => {
  client?.close();
  await new Promise((r) => (wss ? wss.close(r) : r(undefined)));
  wss = undefined;
});

const event = (seq: number, type: string, payload: Record<string, unknown>, execution_id = 2) => ({
  type: "event",
  event: {
    seq,
    type,
    at: new Date().toISOString(),
    actor: { type: "user", id: "u" },
    execution_id,
    payload,
  },
});

async function session(onAttach: (ws: WebSocket) => void) {
  wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  wss.on("connection", onAttach);
  await new Promise((r) => wss!.once("listening", r));
  return `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

const connect = (baseUrl: string, got: string[]) =>
  new SessionClient({
    baseUrl,
    path: "/s",
    token: "t",
    executionId: 2,
    onFollowup: (m) => got.push(m),
    backoff: { initialMs: 50, maxMs: 100 },
  });

describe("SessionClient.caughtUp", () => {
  it("resolves only once the history up to the attach is replayed, the follow-up that started the execution delivered", async () => {
    const url = await session((ws) => {
      ws.send(
        JSON.stringify({
          type: "ready",
          run_id: "r",
          state: "PENDING",
          last_seq: 3,
          access: "HOST",
          execution_id: 2,
        }),
      );
      // the replay comes in slowly: the caller must not start before its end
      setTimeout(() => {
        ws.send(
          JSON.stringify(event(1, "followup.received", { message: "old", execution_id: 1 }, 1)),
        );
        ws.send(
          JSON.stringify(event(2, "followup.received", { message: "try again", execution_id: 2 })),
        );
      }, 150);
      setTimeout(
        () =>
          ws.send(JSON.stringify(event(3, "run.state_changed", { from: "ERROR", to: "PENDING" }))),
        300,
      );
    });
    const got: string[] = [];
    client = connect(url, got);
    const t0 = Date.now();
    expect(await client.caughtUp(5_000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(got).toEqual(["try again"]);
  });

  it("resolves at `ready` when there is nothing to replay, and false after its timeout when no session answers", async () => {
    const url = await session((ws) =>
      ws.send(
        JSON.stringify({
          type: "ready",
          run_id: "r",
          state: "PENDING",
          last_seq: 0,
          access: "HOST",
          execution_id: 2,
        }),
      ),
    );
    client = connect(url, []);
    expect(await client.caughtUp(5_000)).toBe(true);
    client.close();
    await new Promise((r) => wss!.close(r));

    const silent = await session(() => {});
    client = connect(silent, []);
    expect(await client.caughtUp(200)).toBe(false);
  });
});
