import type { Thread } from "../kind.ts";

/** What the Slack report keeps about a thread (Thread.state), to find its way back and edit. */
export type SlackThreadState = {
  team: string;
  channel: string;
  /** the thread's parent message: where every reply goes */
  thread_ts: string;
  /** the status message, edited at each change of state */
  message_ts?: string;
  /** the version (`../report-version.ts`'s `versionOf`) the status message shows */
  version?: number;
  /** the version of the last question posted (a BLOCKED run), and of the last final reply */
  asked?: number;
  finished?: number;
};

/** Thread key: one per Slack thread (its parent message) of one workspace. */
export const threadKey = (team: string, channel: string, threadTs: string) =>
  `slack:${team}:${channel}:${threadTs}`;

export function slackThread(team: string, channel: string, threadTs: string, url?: string): Thread {
  const state: SlackThreadState = { team, channel, thread_ts: threadTs };
  return { key: threadKey(team, channel, threadTs), ...(url ? { url } : {}), state };
}
