/** A run's state, coloured by what it means (the text says it too). */
export function StateBadge({ state }: { state: string | undefined }) {
  const tone =
    state === "SUCCEEDED"
      ? "ok"
      : state === "FAILED" || state === "ERROR"
        ? "bad"
        : state === "CANCELLED"
          ? "muted"
          : state === "BLOCKED"
            ? "warn"
            : "live";
  return (
    <span className={`badge ${tone}`} data-state={state}>
      {state ?? "…"}
    </span>
  );
}
