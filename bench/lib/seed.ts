// Seeds a team with many runs straight into the local D1 (no test-only endpoint in the product):
// multi-row INSERTs written to SQL files and applied with `wrangler d1 execute --local --file`.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { wrangler } from "../../scripts/lib/wrangler-dev.ts";

export type SeedOptions = {
  persistTo: string;
  teamId: string;
  creatorId: string;
  count: number;
  /** rows per `wrangler d1 execute` call (one D1 batch each); progress is reported per chunk */
  chunkRows?: number;
  onProgress?: (done: number, total: number) => void;
};

export type SeedResult = {
  runs: number;
  byState: Record<string, number>;
  sampleIds: string[];
  seconds: number;
};

// Weighted mixes: [value, weight]
const STATES: [string, number][] = [
  ["SUCCEEDED", 50],
  ["FAILED", 12],
  ["QUEUED", 10],
  ["CANCELLED", 10],
  ["ERROR", 6],
  ["INPROGRESS", 5],
  ["PENDING", 3],
  ["CLAIMED", 2],
  ["BLOCKED", 2],
];
const SOURCES: [string, number][] = [
  ["API", 40],
  ["SCHEDULED_AGENT", 15],
  ["SLACK", 10],
  ["GITHUB_ACTION", 10],
  ["WEB_APP", 10],
  ["CLI", 10],
  ["LINEAR", 5],
];
const MODELS = ["claude-4-sonnet", "gpt-5", "gemini-2.5-pro", null];
const TASKS = [
  "Fix the flaky test in",
  "Add logging to",
  "Refactor",
  "Bump dependencies of",
  "Write docs for",
  "Investigate the crash in",
];
const PATHS = [
  "src/util",
  "src/routes/runs.ts",
  "the billing service",
  "packages/protocol",
  "the CI pipeline",
  "web/app",
];
// what the stats' failure reasons group: a few frequent messages, with and without an error code
const FAILURES: [{ message: string; error_code?: string }, number][] = [
  [{ message: "The agent exited with an error" }, 6],
  [
    {
      message: "Environment setup failed: npm ci exited with 1",
      error_code: "environment_setup_failed",
    },
    3,
  ],
  [
    { message: "The run went past its team's max_run_time_seconds", error_code: "budget_exceeded" },
    2,
  ],
  [
    { message: "The model provider refused the request", error_code: "content_policy_violation" },
    1,
  ],
];
const HOST_LOST = {
  message: "The host stopped answering; the run was ended",
  error_code: "internal_error",
};
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED", "ERROR"]);
const STARTED = new Set(["INPROGRESS", "BLOCKED", "SUCCEEDED", "FAILED", "ERROR"]);

function pick<T>(mix: [T, number][], r: number): T {
  const total = mix.reduce((s, [, w]) => s + w, 0);
  let x = r * total;
  for (const [v, w] of mix) if ((x -= w) < 0) return v;
  return mix[mix.length - 1][0];
}

/** A UUIDv7-shaped id for a creation time (what the product generates). */
function uuidv7(ms: number): string {
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const q = (v: string | number | null) =>
  v === null ? "NULL" : typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`;

const COLUMNS = [
  "id",
  "team_id",
  "scope",
  "creator_type",
  "creator_id",
  "title",
  "prompt",
  "mode",
  "state",
  "source",
  "execution_location",
  "config_name",
  "model_id",
  "environment_id",
  "skill_spec",
  "schedule_id",
  "agent_config",
  "status_message",
  "attempts",
  "summary_seq",
  "started_at",
  "ended_at",
  "created_at",
  "updated_at",
];

/** Generates the rows: spread over the last 90 days, every `updated_at` distinct. */
function* rows(opts: SeedOptions, byState: Record<string, number>, sampleIds: string[]) {
  const now = Date.now();
  const span = 90 * 86_400_000;
  const step = Math.floor(span / opts.count);
  const usedUpdated = new Set<number>();
  for (let i = 0; i < opts.count; i++) {
    const r = Math.random;
    const createdAt = now - span + i * step + Math.floor(r() * (step / 2));
    const state = pick(STATES, r());
    const source = pick(SOURCES, r());
    const started = STARTED.has(state) ? createdAt + 2_000 + Math.floor(r() * 60_000) : null;
    const ended = TERMINAL.has(state)
      ? (started ?? createdAt) + 1_000 + Math.floor(r() * 1_800_000)
      : null;
    let updatedAt = ended ?? started ?? createdAt;
    while (usedUpdated.has(updatedAt)) updatedAt++;
    usedUpdated.add(updatedAt);
    const id = uuidv7(createdAt);
    // ~3 % personal runs of other users: invisible to the benchmark's key (exercises the visibility filter)
    const foreign = r() < 0.03;
    const scope = foreign || r() < 0.02 ? "User" : "Team";
    const creator = foreign ? `bench-user-${i % 17}` : opts.creatorId;
    const prompt = `${TASKS[i % TASKS.length]} ${PATHS[(i >> 3) % PATHS.length]} (seeded run ${i})`;
    const model = MODELS[i % MODELS.length];
    const schedule = source === "SCHEDULED_AGENT" ? `sched-${i % 7}` : null;
    const config = model ? { model_id: model } : {};
    const message =
      state === "QUEUED"
        ? { message: "Queued: waiting to be dispatched to a host" }
        : state === "FAILED"
          ? pick(FAILURES, r())
          : state === "ERROR"
            ? HOST_LOST
            : null;
    byState[state] = (byState[state] ?? 0) + 1;
    if (scope === "Team" && sampleIds.length < 1000 && i % 97 === 0) sampleIds.push(id);
    yield [
      id,
      opts.teamId,
      scope,
      "user",
      creator,
      prompt.slice(0, 60),
      prompt,
      null,
      state,
      source,
      r() < 0.05 ? "LOCAL" : "REMOTE",
      null,
      model,
      i % 5 === 0 ? `env-${i % 3}` : null,
      null,
      schedule,
      JSON.stringify(config),
      message ? JSON.stringify(message) : null,
      STARTED.has(state) ? 1 : 0,
      TERMINAL.has(state) ? 3 : 1,
      started,
      ended,
      createdAt,
      updatedAt,
    ].map(q);
  }
}

/** Writes the rows as SQL files of `chunkRows` rows (100 per INSERT) and applies them one by one. */
export async function seedRuns(opts: SeedOptions): Promise<SeedResult> {
  const t0 = performance.now();
  const chunkRows = opts.chunkRows ?? 10_000;
  const byState: Record<string, number> = {};
  const sampleIds: string[] = [];
  const head = `INSERT INTO runs (${COLUMNS.join(", ")}) VALUES\n`;
  let chunk: string[] = [];
  let statement: string[] = [];
  let done = 0;
  let file = 0;
  const flush = async () => {
    if (statement.length) chunk.push(`${head + statement.join(",\n")};`);
    statement = [];
    if (!chunk.length) return;
    const f = path.join(opts.persistTo, `seed-${file++}.sql`);
    writeFileSync(f, chunk.join("\n"));
    chunk = [];
    await wrangler(
      ["d1", "execute", "DB", "--local", "--persist-to", opts.persistTo, "--file", f],
      { quiet: true },
    );
  };
  opts.onProgress?.(0, opts.count);
  for (const values of rows(opts, byState, sampleIds)) {
    statement.push(`(${values.join(", ")})`);
    if (statement.length === 100) {
      chunk.push(`${head + statement.join(",\n")};`);
      statement = [];
    }
    if (++done % chunkRows === 0) {
      await flush();
      opts.onProgress?.(done, opts.count);
    }
  }
  if (done % chunkRows !== 0) {
    await flush();
    opts.onProgress?.(done, opts.count);
  }
  return { runs: done, byState, sampleIds, seconds: (performance.now() - t0) / 1000 };
}
