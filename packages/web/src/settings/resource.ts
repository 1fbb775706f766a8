// A configuration collection as the generic screen sees it: its fields and their input kinds,
// the columns of its list, and five calls to the SDK. Each resource is one short declaration in
// `resources/`; `collection-page.tsx` draws all of them (the server's `configCollection`, twice).
import type { Me } from "../lib/api.ts";
import type { ListName } from "../lib/choices.ts";

export type Role = Me["role"];

/**
 * How a field is edited. `list`: one string a line; `map`: one `KEY=value` a line; `secret`: a
 * write-only password input, never pre-filled and never shown; `ref` and `refs`: one or several
 * references picked from the list `from` (a text box, one a line, when it cannot be read).
 */
export type FieldKind =
  | "text"
  | "multiline"
  | "list"
  | "map"
  | "select"
  | "checkbox"
  | "secret"
  | "ref"
  | "refs";

export type Field = {
  name: string;
  label: string;
  kind: FieldKind;
  help?: string;
  required?: boolean;
  /** the choices of a `select`, by the caller's role when they depend on it */
  options?: readonly string[] | ((role: Role) => readonly string[]);
  /** the list a `ref` or `refs` field picks from */
  from?: ListName;
  /** a `ref`'s empty choice ("None") */
  none?: string;
  /** part of the item's identity: set on create, shown but not changed on edit */
  createOnly?: boolean;
  /** what a new item's form starts with */
  initial?: string | boolean;
};

/** A form's values by field name: text kinds as strings, lists and maps parsed, checkboxes. */
export type Values = Record<string, string | boolean | string[] | Record<string, string>>;

export type Resource<Item> = {
  /** the URL segment, `/settings/<slug>` */
  slug: string;
  title: string;
  /** one item, in a sentence ("rule") */
  noun: string;
  help: string;
  /** the lowest role that writes it (docs/configuration.md, "Who writes what") */
  writeRole: "member" | "admin";
  /** a narrower rule per item, when the resource has one (team vs personal secrets) */
  canWriteItem?: (item: Item, role: Role) => boolean;
  fields: Field[];
  columns: { label: string; value: (item: Item) => string }[];
  list: () => Promise<Item[]>;
  key: (item: Item) => string;
  /** the item's fields as the form shows them (never a secret's value: the API has none) */
  toForm: (item: Item) => Values;
  create: (v: Values) => PromiseLike<unknown>;
  /** absent: items are replaced by deleting and registering again (skills) */
  update?: (item: Item, v: Values) => PromiseLike<unknown>;
  delete: (item: Item) => PromiseLike<unknown>;
};

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Whether `role` may write `resource` (and this item of it): the API checks again. */
export function mayWrite<Item>(resource: Resource<Item>, role: Role, item?: Item): boolean {
  if (RANK[role] < RANK[resource.writeRole]) return false;
  return !item || !resource.canWriteItem || resource.canWriteItem(item, role);
}

export const isAdmin = (role: Role) => RANK[role] >= RANK.admin;

// Values read back with a type, for the declarations' bodies.
export const str = (v: Values, k: string) => (typeof v[k] === "string" ? (v[k] as string) : "");
/** a text field's value, or undefined when left empty */
export const opt = (v: Values, k: string) => str(v, k) || undefined;
export const list = (v: Values, k: string) => (Array.isArray(v[k]) ? (v[k] as string[]) : []);
export const map = (v: Values, k: string) =>
  v[k] && typeof v[k] === "object" && !Array.isArray(v[k]) ? (v[k] as Record<string, string>) : {};
/** a map's value, or undefined when it has no entry (the API refuses some empty maps) */
export const optMap = (v: Values, k: string) =>
  Object.keys(map(v, k)).length ? map(v, k) : undefined;
export const optList = (v: Values, k: string) => (list(v, k).length ? list(v, k) : undefined);
