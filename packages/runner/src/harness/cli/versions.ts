import { execFile } from "node:child_process";

/**
 * The vendor CLI versions the harnesses are tested with (test/vendor-clis/package.json, driven
 * end to end by test/e2e/vendor-clis.test.ts). Another patch release of the same minor is taken
 * as tested; anything else may have changed its flags or its JSON lines.
 */
export const TESTED_CLIS = {
  claude: "2.1.332",
  codex: "0.171.0",
  gemini: "0.61.0",
  opencode: "1.18.33",
} as const;

export type CliVersion = {
  cli: keyof typeof TESTED_CLIS;
  version: string;
  tested: string;
  inRange: boolean;
};

const minor = (v: string) => v.split(".").slice(0, 2).join(".");

/**
 * A `--version` answer ("2.1.332 (Claude Code)", "codex-cli 0.171.0") against the tested one;
 * "unknown" (and not in range) when it names no version.
 */
export function judgeVersion(cli: keyof typeof TESTED_CLIS, printed: string): CliVersion {
  const version = /\d+\.\d+\.\d+/.exec(printed)?.[0] ?? "unknown";
  const tested = TESTED_CLIS[cli];
  return { cli, version, tested, inRange: minor(version) === minor(tested) };
}

/** `cli --version`'s output; null when the CLI is not there (or fails, or hangs 15 s). */
const askVersion = (cli: string, env: NodeJS.ProcessEnv) =>
  new Promise<string | null>((resolve) => {
    execFile(cli, ["--version"], { timeout: 15_000, env }, (err, stdout) =>
      resolve(err ? null : String(stdout)),
    );
  });

/**
 * Asks each vendor CLI on this host's PATH for its `--version` (in parallel, 15 s at most each)
 * and logs what it found, saying plainly when a version is outside the tested range. A CLI that
 * is not installed is left out: its harness says how to install it when a run asks for it.
 */
export async function checkCliVersions(
  log: (entry: Record<string, unknown>) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliVersion[]> {
  const found = await Promise.all(
    (Object.keys(TESTED_CLIS) as (keyof typeof TESTED_CLIS)[]).map(async (cli) => {
      // asked again when it answered without a version: seen once from Gemini CLI on a busy machine
      for (let attempt = 1; ; attempt++) {
        const printed = await askVersion(cli, env);
        if (printed === null) return null;
        const judged = judgeVersion(cli, printed);
        if (judged.version !== "unknown" || attempt === 3) return judged;
      }
    }),
  );
  const clis = found.filter((c): c is CliVersion => c !== null);
  for (const c of clis) {
    log(
      c.inRange
        ? { msg: "vendor CLI", cli: c.cli, version: c.version, tested: c.tested }
        : {
            msg: `vendor CLI ${c.cli} ${c.version === "unknown" ? "did not say its version (`--version` printed none), so it may be" : `${c.version} is`} outside the tested range (${minor(c.tested)}.x, tested ${c.tested}): runs with the ${c.cli} harness may fail on changed flags or output; install ${c.tested} or report what breaks`,
            cli: c.cli,
            version: c.version,
            tested: c.tested,
            level: "warning",
          },
    );
  }
  return clis;
}
