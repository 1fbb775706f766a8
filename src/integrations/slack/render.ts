import type { RunFacts } from "../run-facts.ts";

// Everything the Slack integration posts, rendered from the run's events and facts in this one
// module: a new event type shows up in Slack by a line here. Slack `mrkdwn`: *bold*, <url|text>.

/** The Cancel button's `action_id` (its `value` is the thread's parent `ts`). */
export const CANCEL_ACTION = "ambit_cancel";

export type RunView = {
  runId: string;
  title?: string;
  state: string;
  /** the run's page (`PUBLIC_URL/runs/<id>`), when the server knows its public origin */
  runUrl?: string;
  statusMessage?: string | null;
  threadTs: string;
};

const STATES: Record<string, string> = {
  QUEUED: ":hourglass_flowing_sand: waiting for a host",
  PENDING: ":hourglass_flowing_sand: waiting for a host",
  CLAIMED: ":gear: starting",
  INPROGRESS: ":gear: working",
  BLOCKED: ":raising_hand: waiting for an answer in this thread",
  SUCCEEDED: ":white_check_mark: succeeded",
  FAILED: ":x: failed",
  ERROR: ":x: errored",
  CANCELLED: ":no_entry_sign: cancelled",
};
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "ERROR", "CANCELLED"]);

const escapeText = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const stateText = (state: string) => STATES[state] ?? state.toLowerCase();
const named = (v: RunView) =>
  v.title ? `*${escapeText(v.title.slice(0, 200))}*` : `run ${v.runId}`;
const linked = (v: RunView) => (v.runUrl ? `<${v.runUrl}|${named(v)}>` : named(v));

/** The one status message of a run: started, then edited as its state changes. */
export function renderStatus(v: RunView): { text: string; blocks: unknown[] } {
  const line = `Run ${linked(v)}: ${stateText(v.state)}`;
  const note = v.statusMessage ? `\n>${escapeText(v.statusMessage.slice(0, 500))}` : "";
  const blocks: unknown[] = [{ type: "section", text: { type: "mrkdwn", text: line + note } }];
  if (!TERMINAL.has(v.state)) {
    const buttons: unknown[] = [];
    if (v.runUrl)
      buttons.push({ type: "button", text: plain("Open run"), url: v.runUrl, action_id: "open" });
    buttons.push({
      type: "button",
      text: plain("Cancel"),
      style: "danger",
      action_id: CANCEL_ACTION,
      value: v.threadTs,
    });
    blocks.push({ type: "actions", elements: buttons });
  }
  return { text: `Run ${named(v)}: ${stateText(v.state)}`, blocks };
}

/** The final reply: the outcome, how long it took, and the pull request. */
export function renderFinal(v: RunView, facts: RunFacts | null, endedAt: number): string {
  const began = facts ? (facts.startedAt ?? facts.createdAt) : null;
  const took = began ? ` after ${duration(endedAt - began)}` : "";
  const lines = [`Run ${linked(v)} ${stateText(v.state)}${took}.`];
  if (facts?.pullRequestUrl) lines.push(`Pull request: ${facts.pullRequestUrl}`);
  const why = v.statusMessage ?? facts?.statusMessage;
  if (why && v.state !== "SUCCEEDED") lines.push(`>${escapeText(why.slice(0, 1000))}`);
  return lines.join("\n");
}

/** A BLOCKED run's question, posted in the thread: the answer there unblocks it. */
export const renderQuestion = (question: string) =>
  `:raising_hand: The agent asks: ${escapeText(question.slice(0, 3000))}\nReply in this thread (mention the app) to answer.`;

/** Told (ephemerally) to a Slack user who is not a team member Ambit knows. */
export const renderAccessHelp = (command: string) =>
  "You are not linked to a member of this Ambit team, so you cannot start or steer runs here. " +
  "If you are a member, run `ambit integration link slack` and type the " +
  `\`${command} link <code>\` it prints; otherwise ask a team admin to invite you.`;

export const renderLinked = () =>
  ":white_check_mark: Linked: your Slack account now acts as your Ambit team membership here.";
export const renderBadCode = (command: string) =>
  "That code is unknown, used or expired (codes live 10 minutes, once). Run `ambit integration " +
  `link slack\` again and type \`${command} link <code>\` with the new one.`;
export const renderHelp = (command: string) =>
  `\`${command} <what to do>\` starts a run in this channel; mention the app in a thread to ` +
  `start one there or to answer a run; \`${command} link <code>\` links your account ` +
  "(the code from `ambit integration link slack`).";
export const renderAccepted = () => "On it: the run's thread starts below in a moment.";
export const renderRequest = (user: string, text: string) =>
  `<@${user}> asked: ${escapeText(text.slice(0, 3000))}`;

const plain = (text: string) => ({ type: "plain_text", text });

function duration(ms: number) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}
