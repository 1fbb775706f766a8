import { describe, expect, it } from "vitest";
import { chooseHost, type HostLoad } from "../../durable-objects/host-pool/choose.ts";

const host = (conn: string, capacity: number, running: number, lastAssignedAt = 0): HostLoad => ({
  conn,
  capacity,
  running,
  lastAssignedAt,
});

describe("chooseHost", () => {
  it("answers null with no hosts, or when every host is full or has capacity 0", () => {
    expect(chooseHost([])).toBeNull();
    expect(chooseHost([host("a", 1, 1), host("b", 2, 2)])).toBeNull();
    expect(chooseHost([host("a", 0, 0)])).toBeNull();
    expect(chooseHost([host("a", 1, 3)])).toBeNull(); // over capacity (capacity lowered by a new hello)
  });

  it("never picks a full host, even one idle for longer", () => {
    expect(chooseHost([host("full", 2, 2, 0), host("free", 2, 1, 1_000)])?.conn).toBe("free");
  });

  it("picks the least loaded by share of capacity, not by count", () => {
    expect(chooseHost([host("a", 2, 1), host("b", 2, 0)])?.conn).toBe("b");
    // 2 of 8 (25%) is less loaded than 1 of 2 (50%)
    expect(chooseHost([host("small", 2, 1), host("big", 8, 2)])?.conn).toBe("big");
    expect(chooseHost([host("big", 8, 6), host("small", 2, 1)])?.conn).toBe("small");
  });

  it("breaks a tie in load by the longest wait since the last assignment", () => {
    expect(chooseHost([host("recent", 4, 1, 2_000), host("idle", 4, 1, 1_000)])?.conn).toBe("idle");
    expect(chooseHost([host("idle", 4, 1, 1_000), host("recent", 4, 1, 2_000)])?.conn).toBe("idle");
    expect(chooseHost([host("a", 1, 0, 5), host("b", 2, 0, 3)])?.conn).toBe("b");
  });

  it("keeps the first host on a full tie (stable for equal hosts)", () => {
    expect(chooseHost([host("a", 2, 0), host("b", 2, 0)])?.conn).toBe("a");
  });

  it("alternates between equal hosts when each assignment is recorded", () => {
    const hosts = [host("a", 3, 0), host("b", 3, 0)];
    const order: string[] = [];
    for (let now = 1; now <= 6; now++) {
      const h = chooseHost(hosts)!;
      order.push(h.conn);
      h.running++;
      h.lastAssignedAt = now;
    }
    expect(order).toEqual(["a", "b", "a", "b", "a", "b"]);
    expect(chooseHost(hosts)).toBeNull();
  });

  it("returns the host object it was given", () => {
    const hosts = [host("a", 1, 0)];
    expect(chooseHost(hosts)).toBe(hosts[0]);
  });
});
