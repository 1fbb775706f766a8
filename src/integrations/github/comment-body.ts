import { commentMarker } from "./comment-marker.ts";

const HEADLINES: Record<string, string> = {
  QUEUED: "⏳ Ambit started a run for this; it is waiting for a host.",
  PENDING: "⏳ Ambit started a run for this; it is waiting for a host.",
  CLAIMED: "⏳ Ambit started a run for this; a host is preparing it.",
  INPROGRESS: "🏃 Ambit is working on this.",
  BLOCKED: "✋ Ambit's run is waiting for input.",
  SUCCEEDED: "✅ Ambit's run succeeded",
  FAILED: "❌ Ambit's run failed",
  ERROR: "❌ Ambit's run ended with an error",
  CANCELLED: "⏹️ Ambit's run was cancelled",
};

/** Text from the run (its title, an agent's message) without live @mentions: no one is paged by it. */
const quiet = (text: string) => text.replace(/@(?=[\w-])/g, "@\u200b");

/** `4 min 12 s`, `1 h 3 min`, `35 s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h) return `${h} h ${m} min`;
  return m ? `${m} min ${s % 60} s` : `${s} s`;
}

/** The run's one comment on the thread, as of one event (`version`, in the marker). */
export function renderComment(input: {
  runId: string;
  title?: string;
  state: string;
  version: number;
  /** the console's origin (PUBLIC_URL); without it the comment names the run id only */
  publicUrl?: string;
  durationMs?: number | null;
  pullRequestUrl?: string | null;
  statusMessage?: string | null;
}): string {
  const { runId, state } = input;
  let headline = HEADLINES[state] ?? `Ambit's run is ${state}.`;
  if (input.durationMs != null) headline += ` after ${formatDuration(input.durationMs)}`;
  if (!headline.endsWith(".")) headline += ".";
  const lines = [headline];
  if (input.statusMessage && state !== "SUCCEEDED")
    lines.push("", `> ${quiet(input.statusMessage).replace(/\n/g, "\n> ")}`);
  if (input.pullRequestUrl) lines.push("", `Pull request: ${input.pullRequestUrl}`);
  const name = input.title ? `**${quiet(input.title).replace(/[*_`[\]]/g, "")}**` : `\`${runId}\``;
  lines.push(
    "",
    input.publicUrl
      ? `Run ${name}: [open the session](${input.publicUrl.replace(/\/+$/, "")}/runs/${runId})`
      : `Run ${name} (\`${runId}\`)`,
    commentMarker(runId, input.version),
  );
  return lines.join("\n");
}
