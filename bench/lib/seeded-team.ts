// A team holding many runs on a fresh local `wrangler dev`, for benches that read at scale: the
// migrations applied to the bench's state, a team signed up through the API, the server stopped,
// the runs written straight into the local D1 (`seed.ts`), and the server started again on it.
import {
  applyMigrations,
  type DevServer,
  startDevServer,
  wrangler,
} from "../../scripts/lib/wrangler-dev.ts";
import { type BenchState, signUp, type SignedUp } from "./bench-state.ts";
import { round } from "./load.ts";
import { type SeedResult, seedRuns } from "./seed.ts";

export type SeededTeam = { server: DevServer; signup: SignedUp; seed: SeedResult };

/**
 * Starts the server on `state` with a team of `runs` runs; the server is stopped at cleanup.
 * `maxConcurrentRuns` sets the team's limit past what the API accepts (10,000): ~12 % of the
 * seeded runs hold a slot, so a bench whose own runs must be assigned (`web`) lifts it.
 */
export async function seededTeam(
  state: BenchState,
  runs: number,
  log: (msg: string) => void,
  opts: { maxConcurrentRuns?: number } = {},
): Promise<SeededTeam> {
  const { persistTo, vars } = state;
  let server: DevServer | undefined;
  state.onCleanup(() => server?.stop());
  log(`state in ${persistTo}; applying migrations`);
  await applyMigrations(persistTo, { quiet: true });
  server = await startDevServer({ persistTo, vars, logLevel: "warn" });
  const signup = await signUp(server.url);
  log(
    `signed up team ${signup.team.uid}; stopping the server to seed ${runs.toLocaleString("en")} runs`,
  );
  await server.stop();
  server = undefined;
  const seed = await seedRuns({
    persistTo,
    teamId: signup.team.uid,
    creatorId: signup.user.uid,
    count: runs,
    onProgress: (done, total) =>
      process.stdout.write(
        `\r  seeding runs: ${done.toLocaleString("en")} / ${total.toLocaleString("en")} (${Math.round((100 * done) / total)} %)`,
      ),
  });
  process.stdout.write("\n");
  if (opts.maxConcurrentRuns !== undefined) {
    const sql = `UPDATE teams SET max_concurrent_runs = ${Math.floor(opts.maxConcurrentRuns)} WHERE id = '${signup.team.uid}'`;
    await wrangler(
      ["d1", "execute", "DB", "--local", "--persist-to", persistTo, "--command", sql],
      {
        quiet: true,
      },
    );
  }
  log(
    `seeded ${seed.runs.toLocaleString("en")} runs in ${round(seed.seconds, 1)} s (${seed.byState.QUEUED ?? 0} QUEUED); restarting the server`,
  );
  server = await startDevServer({ persistTo, vars, logLevel: "warn" });
  return { server, signup, seed };
}
