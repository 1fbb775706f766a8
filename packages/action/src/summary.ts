// The job summary: where the run is (written as soon as it exists) and how it ended.
import type { RunItem } from "@ambit/sdk";

/** Text safe inside a Markdown link's label. */
const label = (text: string) => text.replace(/[\\[\]`*_<>]/g, "\\$&").replace(/\s+/g, " ");

/** The first part, written right after the run is created: a live link to it. */
export function startedSummary(
  run: { run_id: string; state: string; title: string },
  sessionUrl: string,
) {
  return (
    `### Ambit run: [${label(run.title || run.run_id)}](${sessionUrl})\n\n` +
    `Run \`${run.run_id}\` was created (${run.state}). [Watch it live](${sessionUrl}).\n\n`
  );
}

/** The second part, once the run ended (or the step stopped waiting). */
export function endedSummary(
  run: RunItem,
  out: { pullRequestUrl?: string; summary: string; note?: string },
) {
  const took = run.run_time ? ` after ${run.run_time.replace(/^PT/, "").toLowerCase()}` : "";
  const pr = out.pullRequestUrl ? ` · [pull request](${out.pullRequestUrl})` : "";
  const note = out.note ? `\n\n${out.note}` : "";
  const text = out.summary
    ? `\n\n<details open><summary>Summary</summary>\n\n${out.summary}\n\n</details>`
    : "";
  return `**${run.state}**${took}${pr}${note}${text}\n\n`;
}
