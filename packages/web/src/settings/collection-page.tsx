// The one screen of every configuration collection: its list, an item's view, a form to create or
// edit one, delete with a confirmation, the API's refusals inline. Which item and which mode are
// in the URL (`?item=<key>&mode=edit`, `?mode=new`).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { Problem } from "../components/problem.tsx";
import { useMe } from "../lib/me.ts";
import { FieldInput, FieldValue, readForm } from "./fields.tsx";
import { mayWrite, type Resource, type Role, type Values } from "./resource.ts";

export type CollectionSearch = { item?: string; mode?: "new" | "edit" };

export function parseCollectionSearch(s: Record<string, unknown>): CollectionSearch {
  return {
    ...(typeof s.item === "string" && s.item && { item: s.item }),
    ...((s.mode === "new" || s.mode === "edit") && { mode: s.mode }),
  };
}

export function CollectionPage<Item>(props: {
  resource: Resource<Item>;
  search: CollectionSearch;
}) {
  const { resource: r, search } = props;
  const role = useMe().data?.role ?? "viewer";
  const navigate = useNavigate();
  const go = (s: CollectionSearch) =>
    navigate({ to: "/settings/$resource", params: { resource: r.slug }, search: s });
  const items = useQuery({ queryKey: ["settings", r.slug], queryFn: r.list });
  const selected = search.item ? items.data?.find((i) => r.key(i) === search.item) : undefined;

  return (
    <>
      <p className="crumbs">
        <Link to="/settings">Settings</Link>
      </p>
      <h1>{r.title}</h1>
      <p className="help">{r.help}</p>
      <Problem error={items.error} what={`Could not list the ${r.title.toLowerCase()}`} />
      {mayWrite(r, role) && search.mode !== "new" && (
        <button type="button" onClick={() => go({ mode: "new" })}>
          New {r.noun}
        </button>
      )}
      {search.mode === "new" && mayWrite(r, role) && (
        <ItemForm resource={r} role={role} onDone={() => go({})} />
      )}
      {search.item && items.data && !selected && (
        <p role="alert" className="problem">
          No {r.noun} “{search.item}” here (it may have been deleted).
        </p>
      )}
      {selected &&
        (search.mode === "edit" && mayWrite(r, role, selected) ? (
          <ItemForm
            resource={r}
            role={role}
            item={selected}
            onDone={() => go({ item: r.key(selected) })}
          />
        ) : (
          <ItemView
            resource={r}
            role={role}
            item={selected}
            onEdit={() => go({ ...search, mode: "edit" })}
            onDeleted={() => go({})}
          />
        ))}
      {items.data && <ItemTable resource={r} items={items.data} selected={search.item} />}
    </>
  );
}

function ItemTable<Item>(props: { resource: Resource<Item>; items: Item[]; selected?: string }) {
  const { resource: r, items, selected } = props;
  if (!items.length) return <p className="help empty">No {r.title.toLowerCase()} yet.</p>;
  return (
    <table className="runs settings-list">
      <caption className="sr-only">{r.title}</caption>
      <thead>
        <tr>
          {r.columns.map((c) => (
            <th key={c.label} scope="col">
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.map((item) => {
          const key = r.key(item);
          return (
            <tr key={key} data-key={key} aria-current={key === selected || undefined}>
              {r.columns.map((c, i) => (
                <td key={c.label}>
                  {i === 0 ? (
                    <Link
                      to="/settings/$resource"
                      params={{ resource: r.slug }}
                      search={{ item: key }}
                    >
                      {c.value(item)}
                    </Link>
                  ) : (
                    c.value(item)
                  )}
                </td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function ItemView<Item>(props: {
  resource: Resource<Item>;
  role: Role;
  item: Item;
  onEdit: () => void;
  onDeleted: () => void;
}) {
  const { resource: r, role, item } = props;
  const values = r.toForm(item);
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: async () => r.delete(item),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ["settings", r.slug] });
      await queryClient.invalidateQueries({ queryKey: ["choices"] });
      props.onDeleted();
    },
  });
  const writable = mayWrite(r, role, item);
  return (
    <section className="settings-item" aria-label={`The ${r.noun} ${r.key(item)}`}>
      <dl>
        {r.fields.map((f) => (
          <div key={f.name}>
            <dt>{f.label}</dt>
            <dd>
              <FieldValue field={f} value={values[f.name]} />
            </dd>
          </div>
        ))}
      </dl>
      <Problem error={remove.error} what={`The ${r.noun} was not deleted`} />
      {writable && !confirming && (
        <div className="actions">
          {r.update && (
            <button type="button" onClick={props.onEdit}>
              Edit
            </button>
          )}
          <button type="button" onClick={() => setConfirming(true)}>
            Delete
          </button>
        </div>
      )}
      {writable && confirming && (
        <div className="actions">
          <span id="confirm-delete">Delete this {r.noun}?</span>
          <button
            type="button"
            className="danger"
            onClick={() => remove.mutate()}
            disabled={remove.isPending}
          >
            Yes, delete
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
    </section>
  );
}

function ItemForm<Item>(props: {
  resource: Resource<Item>;
  role: Role;
  item?: Item;
  onDone: (item?: Item) => void;
}) {
  const { resource: r, role, item } = props;
  const queryClient = useQueryClient();
  const editing = item !== undefined;
  const values: Values = item
    ? r.toForm(item)
    : Object.fromEntries(
        r.fields.flatMap((f) => (f.initial === undefined ? [] : [[f.name, f.initial]])),
      );
  const save = useMutation({
    mutationFn: async (v: Values) => (item && r.update ? r.update(item, v) : r.create(v)),
  });
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    try {
      await save.mutateAsync(readForm(form, r.fields));
    } catch {
      return; // shown below, from save.error; the form keeps what was typed
    }
    // nothing keeps what was sent: the mutation's variables would hold a secret's value
    form.reset();
    save.reset();
    await queryClient.invalidateQueries({ queryKey: ["settings", r.slug] });
    // the other forms' pickers list this collection too (a new secret, a renamed environment)
    await queryClient.invalidateQueries({ queryKey: ["choices"] });
    props.onDone(item);
  }
  return (
    <form
      className="settings-form"
      onSubmit={submit}
      aria-label={editing ? `Edit ${r.noun}` : `New ${r.noun}`}
    >
      <h2>{editing ? `Edit ${r.noun}` : `New ${r.noun}`}</h2>
      {r.fields.map((f) => (
        <FieldInput key={f.name} field={f} value={values[f.name]} role={role} editing={editing} />
      ))}
      <Problem error={save.error} what={`The ${r.noun} was not saved`} />
      <div className="actions">
        <button type="submit" disabled={save.isPending}>
          {editing ? "Save" : "Create"}
        </button>
        <button type="button" onClick={() => props.onDone(item)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
