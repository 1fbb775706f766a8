/** An item's facts as a list of labelled values (a schedule's, an integration's, a webhook's). */
export function DetailList({ rows }: { rows: ReadonlyArray<readonly [string, string]> }) {
  return (
    <dl>
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd data-field={k}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
