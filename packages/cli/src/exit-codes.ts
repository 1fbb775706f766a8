/** The CLI's exit codes (documented in packages/cli/README.md). */
export const EXIT = {
  OK: 0,
  /** An API error not covered below, or an unexpected failure. */
  ERROR: 1,
  /** Bad command line: unknown command or flag, missing argument. */
  USAGE: 2,
  /** No API key, or the server refused it (401). */
  AUTH: 3,
  /** The key's role may not do this (403). */
  PERMISSION: 4,
  /** No such run, key or member in this team (404). */
  NOT_FOUND: 5,
  /** The server could not be reached or did not answer in time. */
  UNREACHABLE: 6,
  /** A followed run ended FAILED. */
  RUN_FAILED: 10,
  /** A followed run ended ERROR (a platform-side failure). */
  RUN_ERROR: 11,
  /** A followed run ended CANCELLED. */
  RUN_CANCELLED: 12,
  /** `ambit audit verify` found the audit chain broken (an entry edited, removed or forged). */
  CHAIN_BROKEN: 20,
  /** Interrupted (Ctrl-C) while following; the run goes on. */
  INTERRUPTED: 130,
} as const;

/** The exit code for a run's final state. */
export function exitForState(state: string | undefined): number {
  switch (state) {
    case "SUCCEEDED":
      return EXIT.OK;
    case "FAILED":
      return EXIT.RUN_FAILED;
    case "ERROR":
      return EXIT.RUN_ERROR;
    case "CANCELLED":
      return EXIT.RUN_CANCELLED;
    default:
      return EXIT.OK;
  }
}
