// The next five slots of a cron in its time zone, or what is wrong with it.
import { previewCron, slotText } from "./cron-preview.ts";

export function NextSlots({ cron, timezone }: { cron: string; timezone: string }) {
  const preview = previewCron(cron, timezone);
  if (!preview.slots)
    return (
      <p className="problem" id="cron-error" data-testid="cron-error">
        This cron is not valid: {preview.error}
      </p>
    );
  return (
    <section aria-label="Next runs" className="next-slots">
      <h2>Next runs ({timezone || "UTC"})</h2>
      <ol>
        {preview.slots.map((d) => (
          <li key={d.getTime()}>
            <time dateTime={d.toISOString()}>{slotText(d, timezone)}</time>
          </li>
        ))}
      </ol>
    </section>
  );
}
