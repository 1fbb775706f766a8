// The rules about `runs` rows written once in SQL (src/db/runs.ts) agree with their TypeScript
// forms, and readTeamLoad counts what they say.
import { HELD_STATES, poolOf } from "@ambit/protocol";
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { readTeamLoad } from "../../durable-objects/host-pool/team-load.ts";
import { createDb } from "../../src/db/client.ts";
import { holdingSlot, runPool } from "../../src/db/runs.ts";
import { runs } from "../../src/db/schema.ts";
import { getConfig } from "../../src/env.ts";
import { newTeam } from "../helpers/api.ts";
import { insertRunRow } from "../helpers/runs.ts";

describe("runs rules in SQL", () => {
  it("runPool is poolOf: no worker host, '' and 'warp' are the platform pool; any other is its own", async () => {
    const t = await newTeam("run-rules");
    const hosts = [null, "", "warp", "gpu"];
    const ids = await Promise.all(
      hosts.map(async (worker_host) => (await insertRunRow(t, { worker_host })).id),
    );
    const db = createDb(env.DB);
    for (const [i, id] of ids.entries()) {
      const [row] = await db.select({ pool: runPool }).from(runs).where(eq(runs.id, id));
      expect(row.pool, `worker_host ${JSON.stringify(hosts[i])}`).toBe(poolOf(hosts[i]));
    }
  });

  it("holdingSlot counts the team's REMOTE runs in HELD_STATES only, and readTeamLoad those of other pools", async () => {
    const t = await newTeam("run-rules");
    for (const state of [...HELD_STATES, "QUEUED", "SUCCEEDED"])
      await insertRunRow(t, { state, worker_host: "gpu" });
    await insertRunRow(t, { state: "INPROGRESS", execution_location: "LOCAL" });
    await insertRunRow(t, { state: "INPROGRESS", worker_host: "warp" });
    await insertRunRow(t, { state: "CLAIMED" });
    await insertRunRow(t, { state: "BLOCKED", worker_host: "" });
    const [{ n }] = await createDb(env.DB)
      .select({ n: sql<number>`count(*)` })
      .from(runs)
      .where(and(holdingSlot(t.teamId)));
    expect(n).toBe(HELD_STATES.length + 3);
    const config = getConfig(env);
    // the platform pool sees gpu's four; gpu sees the platform's three (worker_host null, '' and 'warp')
    expect((await readTeamLoad(env.DB, t.teamId, "warp", 0, config)).active).toBe(
      HELD_STATES.length,
    );
    expect((await readTeamLoad(env.DB, t.teamId, "gpu", 1, config)).active).toBe(3 + 1);
    expect((await readTeamLoad(env.DB, t.teamId, "other", 0, config)).active).toBe(
      HELD_STATES.length + 3,
    );
  });
});
