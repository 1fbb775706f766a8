import type { Outcome } from "./search.ts";

const TONE: Record<Outcome, string> = {
  received: "live",
  run_created: "ok",
  followup_sent: "ok",
  run_cancelled: "ok",
  ignored: "muted",
  rejected: "bad",
  failed: "bad",
};

/** A delivery's outcome, coloured by what it means (the text says it too). */
export function OutcomeBadge({ outcome }: { outcome: Outcome }) {
  return (
    <span className={`badge ${TONE[outcome]}`} data-outcome={outcome}>
      {outcome.replace("_", " ")}
    </span>
  );
}
