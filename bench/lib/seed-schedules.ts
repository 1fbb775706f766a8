// Seeds a team with `count` enabled schedules all due at one slot, straight into the local D1
// (the server must be stopped): multi-row INSERTs applied with `wrangler d1 execute --local --file`.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { wrangler } from "../../scripts/lib/wrangler-dev.ts";

const COLUMNS = [
  "id",
  "team_id",
  "scope",
  "name",
  "cron_schedule",
  "timezone",
  "overlap_policy",
  "enabled",
  "prompt",
  "agent_config",
  "metadata",
  "owner_type",
  "owner_id",
  "updated_by_type",
  "updated_by_id",
  "next_run",
  "created_at",
  "updated_at",
];
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const uid = () => [...randomBytes(22)].map((b) => BASE62[b % 62]).join("");
const q = (v: string | number) =>
  typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`;

/**
 * `count` distinct cron expressions that all fire at `hour`:00 UTC on Feb 29 and next at hours from
 * `firstFreeHour` to 23 of that day (or four years later): `0 9 29 2 *`, `0 9,23 29 2 *`,
 * `0 9,22 29 2 *`, `0 9,22,23 29 2 *`, … Every schedule then costs the tick its own cron parse and
 * slot computation — the worst case; schedules sharing a cron share that work.
 */
export function distinctCrons(count: number, hour: number, firstFreeHour: number): string[] {
  const free = Array.from({ length: 24 - firstFreeHour }, (_, i) => firstFreeHour + i);
  if (2 ** free.length < count)
    throw new Error(
      `only ${2 ** free.length} distinct crons for hour ${hour}; use fewer or smaller sizes`,
    );
  return Array.from({ length: count }, (_, i) => {
    const extra = free.filter((_, b) => i & (1 << b));
    return `0 ${[hour, ...extra].join(",")} 29 2 *`;
  });
}

export async function seedSchedules(opts: {
  persistTo: string;
  teamId: string;
  ownerId: string;
  count: number;
  crons: string[];
  nextRun: number;
  tag: string;
}) {
  const now = Date.now();
  const statements: string[] = [];
  let values: string[] = [];
  for (let i = 0; i < opts.count; i++) {
    values.push(
      `(${[
        uid(),
        opts.teamId,
        "Team",
        `${opts.tag} schedule ${String(i).padStart(5, "0")}`,
        opts.crons[i % opts.crons.length],
        "UTC",
        "skip",
        1,
        `Scheduled benchmark task ${i}: triage new issues`,
        JSON.stringify({ name: opts.tag }),
        JSON.stringify({ bench: opts.tag }),
        "user",
        opts.ownerId,
        "user",
        opts.ownerId,
        opts.nextRun,
        now,
        now,
      ]
        .map(q)
        .join(", ")})`,
    );
    if (values.length === 100) {
      statements.push(
        `INSERT INTO schedules (${COLUMNS.join(", ")}) VALUES\n${values.join(",\n")};`,
      );
      values = [];
    }
  }
  if (values.length)
    statements.push(`INSERT INTO schedules (${COLUMNS.join(", ")}) VALUES\n${values.join(",\n")};`);
  const file = path.join(opts.persistTo, `seed-schedules-${opts.tag}.sql`);
  writeFileSync(file, statements.join("\n"));
  await wrangler(
    ["d1", "execute", "DB", "--local", "--persist-to", opts.persistTo, "--file", file],
    { quiet: true },
  );
}
