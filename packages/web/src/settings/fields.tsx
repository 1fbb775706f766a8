// A resource's form: one input per declared field, uncontrolled, read once on submit. A secret's
// value lives only in its password input until the form is sent (no React state holds it).
import { RefInput, RefValue } from "./ref-input.tsx";
import type { Field, Role, Values } from "./resource.ts";

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** A field's value as the form shows it (lists and maps one entry a line). */
function shown(v: Values[string] | undefined): string {
  if (Array.isArray(v)) return v.join("\n");
  if (v && typeof v === "object")
    return Object.entries(v)
      .map(([k, x]) => `${k}=${x}`)
      .join("\n");
  return typeof v === "string" ? v : "";
}

/** A reference field's values: a `ref` is one string, `refs` a list. */
const refs = (v: Values[string] | undefined): string[] =>
  Array.isArray(v) ? v : typeof v === "string" && v ? [v] : [];

/** The form's values by field, parsed by kind. */
export function readForm(form: HTMLFormElement, fields: Field[]): Values {
  const data = new FormData(form);
  const out: Values = {};
  for (const f of fields) {
    const raw = String(data.get(f.name) ?? "");
    if (f.kind === "checkbox") out[f.name] = data.get(f.name) === "on";
    else if (f.kind === "list") out[f.name] = lines(raw);
    // checkboxes, one entry each; or the text box, one a line, when the list could not be read
    else if (f.kind === "refs") out[f.name] = data.getAll(f.name).flatMap((x) => lines(String(x)));
    else if (f.kind === "map")
      out[f.name] = Object.fromEntries(
        lines(raw).map((l) => {
          const at = l.indexOf("=");
          return at < 0 ? [l, ""] : [l.slice(0, at).trim(), l.slice(at + 1)];
        }),
      );
    else out[f.name] = f.kind === "multiline" ? raw : raw.trim();
  }
  return out;
}

const HINT: Partial<Record<Field["kind"], string>> = {
  list: "One a line.",
  map: "One KEY=value a line.",
};

export function FieldInput(props: {
  field: Field;
  value: Values[string] | undefined;
  role: Role;
  editing: boolean;
}) {
  const { field: f, value, role, editing } = props;
  const id = `f-${f.name}`;
  const hint = [f.help, HINT[f.kind]].filter(Boolean).join(" ");
  const describedBy = hint ? `${id}-hint` : undefined;
  // a secret's value may be left empty on edit: unchanged
  const required = f.required && !(editing && f.kind === "secret");
  const common = {
    id,
    name: f.name,
    "aria-describedby": describedBy,
    // an item's identity is fixed once it exists; a disabled input is not sent, so it is readOnly
    readOnly: editing && f.createOnly,
  };
  if (f.kind === "checkbox")
    return (
      <div className="check">
        <input
          type="checkbox"
          {...common}
          disabled={common.readOnly}
          defaultChecked={value === true}
        />
        <label htmlFor={id}>{f.label}</label>
        {hint && <small id={describedBy}>{hint}</small>}
      </div>
    );
  if (f.kind === "ref" || f.kind === "refs")
    return <RefInput field={f} id={id} current={refs(value)} hint={hint} />;
  const options = typeof f.options === "function" ? f.options(role) : (f.options ?? []);
  return (
    <div className="field">
      <label htmlFor={id}>
        {f.label}
        {required ? "" : " (optional)"}
      </label>
      {f.kind === "multiline" || f.kind === "list" || f.kind === "map" ? (
        <textarea
          {...common}
          required={f.required}
          rows={f.kind === "multiline" ? 6 : 3}
          defaultValue={shown(value)}
        />
      ) : f.kind === "select" ? (
        <select {...common} disabled={common.readOnly} defaultValue={shown(value)}>
          {options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : f.kind === "secret" ? (
        <input
          type="password"
          {...common}
          autoComplete="off"
          required={required}
          placeholder={editing ? "unchanged" : undefined}
          defaultValue=""
        />
      ) : (
        <input type="text" {...common} required={f.required} defaultValue={shown(value)} />
      )}
      {hint && (
        <small id={describedBy} className="help">
          {hint}
        </small>
      )}
    </div>
  );
}

/** A field's value read-only, for the item's view. */
export function FieldValue({ field, value }: { field: Field; value: Values[string] | undefined }) {
  if (field.kind === "secret") return <span className="muted">write-only, never shown</span>;
  if (field.kind === "checkbox") return <>{value ? "yes" : "no"}</>;
  if (field.kind === "ref" || field.kind === "refs")
    return <RefValue field={field} values={refs(value)} />;
  const text = shown(value);
  if (!text) return <span className="muted">—</span>;
  return field.kind === "text" || field.kind === "select" ? <span>{text}</span> : <pre>{text}</pre>;
}
