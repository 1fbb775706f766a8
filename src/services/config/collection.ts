import type { Role } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { AppError, notFound } from "../../lib/errors.ts";
import { newUid } from "../../lib/ids.ts";
import { type Ctx, requireRole } from "../context.ts";
import { loadTeamConfig, type TeamConfig, writeTeamConfig, writtenBy } from "./team-config.ts";

/** A team's configuration table whose rows are named by a generated uid (`id`). */
type UidTable = SQLiteTable & { id: SQLiteColumn; teamId: SQLiteColumn };
type UidRow = { id: string; teamId: string; name: string; createdAt: number; updatedAt: number };
type Writers = "updatedBy" | "updatedByRole" | "createdBy";
/** What a request sets of a row: all but its keys, times and writers. */
type Fields<Row> = Omit<Row, keyof UidRow | Writers> & { name: string };

/** What one resource declares; the verbs below do the rest the same way for all. */
export type CollectionSpec<Row extends UidRow, Item, Update> = {
  table: UidTable;
  /** How a 404 names one: "Saved prompt" → "Saved prompt '…' was not found in this team". */
  noun: string;
  /** The team's rows, from the cached bundle (in the order the list answers). */
  cached: (config: TeamConfig) => readonly Row[];
  toItem: (row: Row) => Item;
  /** Items of rows that may have a history to show (list, get, update); default `toItem`. */
  present?: (ctx: Ctx, rows: Row[]) => Promise<Item[]>;
  /** The role every write needs, or a check of its own; `action` names the write. */
  authorize: Role | ((ctx: Ctx, action: string) => void);
  actions: { create: string; update: string; remove: string };
  /** The row's fields a request sets; `current` is the stored row on update. */
  fields: (input: Update, current?: Row) => Fields<Row>;
  /** Checks the request's references (e.g. an environment's id) before anything is written. */
  check?: (ctx: Ctx, input: Update) => Promise<void>;
  /** Names are unique in a team; how the 409 names one ("a rule"). */
  uniqueName?: string;
  newId?: (now: number) => string;
  /** The table records who created a row (`created_by`). */
  recordsCreator?: boolean;
  /** Statements written in the same batch as a delete (e.g. revoking a named agent's keys). */
  alsoOnDelete?: (ctx: Ctx, uid: string) => BatchItem<"sqlite">[];
};

/**
 * The five verbs of a team collection of uid-named configuration: list and get read the cached
 * bundle; writes authorize first, find the row in the caller's team (another team's is a 404),
 * keep names unique (409), record their writer and go through `writeTeamConfig`. `Create` is the
 * create request when it carries more than an update's (named agents).
 */
export function configCollection<Row extends UidRow, Item, Update, Create extends Update = Update>(
  spec: CollectionSpec<Row, Item, Update>,
) {
  const { table } = spec;
  const key = (ctx: Ctx, uid: string) => and(eq(table.teamId, ctx.teamId), eq(table.id, uid));
  const present = spec.present ?? (async (_ctx: Ctx, rows: Row[]) => rows.map(spec.toItem));
  const { authorize: who } = spec;
  const authorize = (ctx: Ctx, action: string) =>
    typeof who === "function" ? who(ctx, action) : requireRole(ctx, who, action);
  const nameTaken = (name: string) => {
    const message = `${spec.uniqueName} named '${name}' already exists; pick another name`;
    return new AppError("conflict", message, { retryable: false });
  };
  const onDuplicate = (name: string) => (spec.uniqueName ? () => nameTaken(name) : undefined);

  async function assertNameFree(ctx: Ctx, name: string, except?: string) {
    if (!spec.uniqueName) return;
    const rows = spec.cached(await loadTeamConfig(ctx));
    if (rows.some((r) => r.name === name && r.id !== except)) throw nameTaken(name);
  }

  async function storedRow(ctx: Ctx, uid: string): Promise<Row> {
    const [row] = await ctx.db.select().from(table).where(key(ctx, uid)).limit(1);
    if (!row) throw notFound(spec.noun, uid);
    return row as Row; // drizzle types a generic table's select loosely
  }

  return {
    async list({ ctx }: { ctx: Ctx }): Promise<Item[]> {
      return present(ctx, [...spec.cached(await loadTeamConfig(ctx))]);
    },

    async get({ ctx, uid }: { ctx: Ctx; uid: string }): Promise<Item> {
      const row = spec.cached(await loadTeamConfig(ctx)).find((r) => r.id === uid);
      if (!row) throw notFound(spec.noun, uid);
      return (await present(ctx, [row]))[0];
    },

    async create({ ctx, input }: { ctx: Ctx; input: Create }): Promise<Item> {
      authorize(ctx, spec.actions.create);
      await spec.check?.(ctx, input);
      const fields = spec.fields(input);
      await assertNameFree(ctx, fields.name);
      const now = Date.now();
      const id = spec.newId ? spec.newId(now) : newUid();
      const creator = spec.recordsCreator ? { createdBy: ctx.actor.id } : {};
      // every column: the keys, the request's fields, the writers and the times
      const times = { createdAt: now, updatedAt: now };
      const row = { id, teamId: ctx.teamId, ...fields, ...creator, ...writtenBy(ctx), ...times };
      await writeTeamConfig(ctx, [ctx.db.insert(table).values(row)], onDuplicate(fields.name));
      // a new row has no history yet
      return spec.toItem(row as unknown as Row);
    },

    async update({ ctx, uid, input }: { ctx: Ctx; uid: string; input: Update }): Promise<Item> {
      authorize(ctx, spec.actions.update);
      const row = await storedRow(ctx, uid);
      await spec.check?.(ctx, input);
      const fields = spec.fields(input, row);
      await assertNameFree(ctx, fields.name, uid);
      const next: Row = { ...row, ...fields, ...writtenBy(ctx), updatedAt: Date.now() };
      const write = ctx.db.update(table).set(next).where(key(ctx, uid));
      await writeTeamConfig(ctx, [write], onDuplicate(fields.name));
      return (await present(ctx, [next]))[0];
    },

    async remove({ ctx, uid }: { ctx: Ctx; uid: string }): Promise<void> {
      authorize(ctx, spec.actions.remove);
      await storedRow(ctx, uid);
      const also = spec.alsoOnDelete?.(ctx, uid) ?? [];
      await writeTeamConfig(ctx, [ctx.db.delete(table).where(key(ctx, uid)), ...also]);
    },
  };
}
