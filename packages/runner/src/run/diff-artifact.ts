// The diff a changed repository is reported with (artifacts.ts): what it is taken against, and
// its size cap. The console renders it (packages/web/src/run/diff/).

/** Largest diff uploaded; a longer one is cut at a line boundary and says so in its last line. */
export const MAX_DIFF_BYTES = 2 * 1024 * 1024;
/** Starts the line a cut diff ends with (outside any hunk, so a reader shows it as a note). */
export const DIFF_TRUNCATED = "# Ambit truncated this diff:";
/** git's empty tree: the base of a repository that had no commit before the run. */
export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

const SHA = /^[0-9a-f]{40,64}$/;

/**
 * The `git diff` revisions of a run's changes: from where the run started (`start`, the commit an
 * environment's repository was checked out at) to HEAD through their merge base, so the agent's
 * own commits count and a base that moved does not; a repository the agent made or cloned itself
 * has no start, so its changes are those the runner committed (from `before`, HEAD before that).
 */
export function diffRevisions(start: string | undefined, before: string | undefined): string[] {
  if (start && SHA.test(start)) return [`${start}...HEAD`];
  return [before && SHA.test(before) ? before : EMPTY_TREE, "HEAD"];
}

/** `diff` within `max` bytes (UTF-8), cut after its last whole line, with a closing note. */
export function capDiff(diff: string, max = MAX_DIFF_BYTES): { text: string; truncated: boolean } {
  const bytes = Buffer.from(diff, "utf8");
  if (bytes.length <= max) return { text: diff, truncated: false };
  const head = bytes.subarray(0, max).toString("utf8");
  const kept = head.slice(0, head.lastIndexOf("\n") + 1);
  const note =
    `${DIFF_TRUNCATED} it is ${bytes.length} bytes, over the ${max}-byte limit of a diff ` +
    "artifact; the whole change is committed on the run's branch.\n";
  return { text: kept + note, truncated: true };
}
