// A reference picked from a list: a select of its options, disabled while they load, or a text
// box when the list cannot be read. A value the list lacks (deleted since, or typed by another
// client) stays a choice of its own, so saving the form does not drop it unseen.
import type { Choices } from "../lib/choices.ts";

export function Choice(
  props: Choices & {
    id: string;
    label: string;
    value: string;
    onChange: (e: { target: { value: string } }) => void;
    /** the empty choice's label ("Team default") */
    none: string;
  },
) {
  const known = !props.value || props.options?.some((o) => o.value === props.value);
  return (
    <div>
      <label htmlFor={props.id}>{props.label}</label>
      {!props.failed ? (
        <select
          id={props.id}
          value={props.value}
          onChange={props.onChange}
          disabled={!props.options}
        >
          <option value="">{props.none}</option>
          {props.options?.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
          {!known && <option value={props.value}>{props.value} (not found)</option>}
        </select>
      ) : (
        <input
          id={props.id}
          value={props.value}
          onChange={props.onChange}
          placeholder={props.none}
        />
      )}
    </div>
  );
}
