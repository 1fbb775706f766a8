// The list's filters as removable chips, and a small form to add one. Each change: a new URL.
import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { RUN_STATES, type RunsSearch, TEXT_FILTERS, type TextFilter } from "./runs-search.ts";

export function RunFilters({ search }: { search: RunsSearch }) {
  const navigate = useNavigate({ from: "/runs" });
  const [field, setField] = useState<TextFilter | "state">("state");
  const [value, setValue] = useState("");
  const set = (next: RunsSearch) =>
    navigate({ search: { ...next, cursor: undefined, view: undefined } });

  const chips: Array<{ label: string; remove: () => void }> = [];
  for (const s of search.state ?? [])
    chips.push({
      label: `state: ${s}`,
      remove: () => set({ ...search, state: search.state!.filter((x) => x !== s) }),
    });
  for (const key of Object.keys(TEXT_FILTERS) as TextFilter[]) {
    const v = search[key];
    if (v)
      chips.push({
        label: `${TEXT_FILTERS[key].toLowerCase()}: ${v}`,
        remove: () => set({ ...search, [key]: undefined }),
      });
  }
  if (search.q)
    chips.push({ label: `text: ${search.q}`, remove: () => set({ ...search, q: undefined }) });

  function add(e: FormEvent) {
    e.preventDefault();
    const v = value.trim();
    if (!v) return;
    if (field === "state") set({ ...search, state: [...new Set([...(search.state ?? []), v])] });
    else set({ ...search, [field]: v });
    setValue("");
  }

  return (
    <div className="filters">
      {chips.length > 0 && (
        <ul className="chips" aria-label="Active filters">
          {chips.map((c) => (
            <li key={c.label} className="chip">
              {c.label}
              <button type="button" onClick={c.remove} aria-label={`Remove filter ${c.label}`}>
                ×
              </button>
            </li>
          ))}
          <li>
            <button type="button" className="link" onClick={() => navigate({ search: {} })}>
              Clear all
            </button>
          </li>
        </ul>
      )}
      <form onSubmit={add} className="add-filter" aria-label="Add a filter">
        <label htmlFor="filter-field" className="sr-only">
          Filter
        </label>
        <select
          id="filter-field"
          value={field}
          onChange={(e) => (setField(e.target.value as TextFilter | "state"), setValue(""))}
        >
          <option value="state">State</option>
          {(Object.keys(TEXT_FILTERS) as TextFilter[]).map((k) => (
            <option key={k} value={k}>
              {TEXT_FILTERS[k]}
            </option>
          ))}
        </select>
        <label htmlFor="filter-value" className="sr-only">
          Value
        </label>
        {field === "state" ? (
          <select id="filter-value" value={value} onChange={(e) => setValue(e.target.value)}>
            <option value="">choose…</option>
            {RUN_STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        ) : (
          <input
            id="filter-value"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            placeholder={
              field.endsWith("_after") || field.endsWith("_before")
                ? "2026-01-31T00:00:00Z"
                : "value"
            }
          />
        )}
        <button type="submit">Add filter</button>
      </form>
    </div>
  );
}
