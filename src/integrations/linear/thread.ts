import type { Thread } from "../kind.ts";

/** What `report` keeps between reports of one agent session (the framework's thread state). */
export type LinearThreadState = {
  session_id: string;
  issue_id?: string;
  identifier?: string;
  /** the last run event (its `seq`) mirrored into the session: activities go out in log order */
  seq?: number;
  /** tool calls seen but not yet answered: call id → the action and its parameter */
  calls?: Record<string, { action: string; parameter: string }>;
  /** the agent's last message, the body of the final `response` */
  last_message?: string;
  /** a report is posting until then (ms): another waits, so activities never overtake */
  posting_until?: number;
};

/** The thread key: one per agent session (`prompted` events name the same session). */
export const threadKey = (sessionId: string) => `linear:${sessionId}`;

export function threadOf(at: {
  sessionId: string;
  url?: string | null;
  issueId?: string;
  identifier?: string;
}): Thread {
  const state: LinearThreadState = {
    session_id: at.sessionId,
    seq: 0,
    ...(at.issueId ? { issue_id: at.issueId } : {}),
    ...(at.identifier ? { identifier: at.identifier } : {}),
  };
  return { key: threadKey(at.sessionId), ...(at.url ? { url: at.url } : {}), state };
}
