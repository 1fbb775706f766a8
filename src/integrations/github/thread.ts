import type { Thread } from "../kind.ts";
import type { Trigger } from "./triggers.ts";

/** What `report` needs from the thread to find its way back to the right issue or PR. */
export type GitHubThreadState = {
  repository: string;
  /** the issue or pull request to comment on; absent: a CI failure on a branch without one */
  issue_number?: number;
  installation_id?: number;
  /** the run's progress comment once written (the framework may keep it; `report` can also find it) */
  comment_id?: number;
  /** ISO time before the run began: the comment search starts here */
  since: string;
};

/** The thread key: `github:<owner>/<repo>#<number>`, or `@<branch>` for a CI failure outside a PR. */
export const threadKey = (fullName: string, number: number | undefined, branch?: string) =>
  number === undefined ? `github:${fullName}@${branch ?? ""}` : `github:${fullName}#${number}`;

export function threadOf(t: Trigger, receivedAt: number): Thread {
  const state: GitHubThreadState = {
    repository: t.repo.fullName,
    since: new Date(receivedAt).toISOString(),
    ...(t.number !== undefined ? { issue_number: t.number } : {}),
    ...(t.installationId ? { installation_id: t.installationId } : {}),
  };
  return { key: threadKey(t.repo.fullName, t.number, t.branch), url: t.url, state };
}
