// References picked from their list: one (`ref`, a select) or several (`refs`, a group of
// checkboxes). Uncontrolled like the rest of the form: `readForm` reads them by name on submit.
// A value the list lacks stays a checked choice, marked "not found", so saving does not drop it.
import { type Choices, labelOf, type Option, useChoices } from "../lib/choices.ts";
import type { Field } from "./resource.ts";

/** The options with the current values the list lacks; only those while the list loads. */
function withCurrent(choices: Choices, current: string[]): Option[] {
  const options = choices.options ?? [];
  const missing = current.filter((v) => !options.some((o) => o.value === v));
  const suffix = choices.options ? " (not found)" : "";
  return [...options, ...missing.map((v) => ({ value: v, label: `${v}${suffix}` }))];
}

export function RefInput(props: { field: Field; id: string; current: string[]; hint?: string }) {
  const { field: f, id, current, hint } = props;
  const describedBy = hint ? `${id}-hint` : undefined;
  const help = hint && (
    <small id={describedBy} className="help">
      {hint}
    </small>
  );
  const choices = useChoices(f.from!);
  // remounted once the list arrives, so the defaults apply to the full list
  const key = choices.options ? "ready" : "loading";
  if (choices.failed)
    return f.kind === "refs" ? (
      <div className="field">
        <label htmlFor={id}>{f.label} (optional, one a line)</label>
        <textarea
          id={id}
          name={f.name}
          rows={3}
          aria-describedby={describedBy}
          defaultValue={current.join("\n")}
        />
        {help}
      </div>
    ) : (
      <div className="field">
        <label htmlFor={id}>{f.label} (optional)</label>
        <input id={id} name={f.name} aria-describedby={describedBy} defaultValue={current[0]} />
        {help}
      </div>
    );
  const options = withCurrent(choices, current);
  if (f.kind === "ref")
    return (
      <div className="field">
        <label htmlFor={id}>{f.label} (optional)</label>
        <select
          key={key}
          id={id}
          name={f.name}
          aria-describedby={describedBy}
          defaultValue={current[0] ?? ""}
        >
          <option value="">{f.none ?? "None"}</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {help}
      </div>
    );
  return (
    <fieldset className="field refs" key={key} aria-describedby={describedBy}>
      <legend>{f.label} (optional)</legend>
      {!options.length && (
        <span className="muted">{choices.options ? "None to pick yet." : "Loading…"}</span>
      )}
      {options.map((o) => (
        <label key={o.value} className="check">
          <input
            type="checkbox"
            name={f.name}
            value={o.value}
            defaultChecked={current.includes(o.value)}
          />{" "}
          {o.label}
        </label>
      ))}
      {help}
    </fieldset>
  );
}

/** References read-only, by their labels (an environment's name rather than its uid). */
export function RefValue({ field, values }: { field: Field; values: string[] }) {
  const { options } = useChoices(field.from!);
  if (!values.length) return <span className="muted">—</span>;
  return <span>{values.map((v) => labelOf(options, v)).join(", ")}</span>;
}
