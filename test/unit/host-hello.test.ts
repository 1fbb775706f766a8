import { HostInfo, HostMessage } from "@ambit/protocol";
import { describe, expect, it } from "vitest";

const claude = { name: "claude", version: "2.1.340", tested: "2.1.332", in_tested_range: true };

describe("the host's hello names its vendor CLIs", () => {
  it("carries each CLI's version and whether it is in the tested range; none when left out", () => {
    const hello = HostMessage.parse({ type: "hello", data: { capacity: 2, clis: [claude] } });
    expect(hello).toMatchObject({ type: "hello", data: { clis: [claude] } });
    // an older runner says nothing of its CLIs
    const old = HostMessage.parse({ type: "hello", data: { capacity: 2 } });
    expect(old).toMatchObject({ data: { clis: [] } });
  });

  it("refuses a CLI without its flag, and more CLIs than a host has", () => {
    const { in_tested_range: _, ...unflagged } = claude;
    expect(
      HostMessage.safeParse({ type: "hello", data: { capacity: 1, clis: [unflagged] } }).success,
    ).toBe(false);
    const many = Array.from({ length: 11 }, (_, i) => ({ ...claude, name: `cli${i}` }));
    expect(
      HostMessage.safeParse({ type: "hello", data: { capacity: 1, clis: many } }).success,
    ).toBe(false);
  });

  it("the hosts listing requires the CLIs of each connection", () => {
    const info = {
      worker_id: "w1",
      connection_id: "c1",
      capacity: 1,
      running: [],
      labels: [],
      version: null,
      connected_at: "2026-12-07T00:00:00.000Z",
      last_seen_at: "2026-12-07T00:00:00.000Z",
    };
    expect(HostInfo.safeParse(info).success).toBe(false);
    expect(HostInfo.parse({ ...info, clis: [claude] }).clis).toEqual([claude]);
  });
});
