import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import { UidParams } from "@ambit/protocol";
import type { Context } from "hono";
import type { AppEnv } from "../middleware/types.ts";
import type { Ctx } from "../services/context.ts";
import { auditedWrite } from "../lib/audit-note.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

type Schemas = Partial<Record<"json" | "param" | "query", z.ZodTypeAny | undefined>>;
/** What a route's validation of `S` answers; a route without that schema answers `undefined`. */
type In<S> = S extends z.ZodTypeAny ? z.input<S> : undefined;
type Out<S> = S extends z.ZodTypeAny ? z.output<S> : undefined;

/**
 * The validated input of a route declaring these schemas, as Hono types it for a concrete route.
 * Inside a generic helper Hono cannot compute it from the declaration (its conditional types
 * wait for the schema types), so each handler states it from the same schema objects it declares.
 */
type Validated<S extends Schemas> = {
  in: { [K in keyof S]: In<S[K]> };
  out: { [K in keyof S]: Out<S[K]> };
};
type Handler<S extends Schemas> = Context<AppEnv, string, Validated<S>>;

/**
 * The five routes of a team collection of uid-named configuration: list, create, get, replace
 * (or update), delete. `Query` is the list's query (none: `undefined` reaches the verb).
 */
export function collectionRoutes<
  Item extends z.ZodTypeAny,
  Create extends z.ZodTypeAny,
  Update extends z.ZodTypeAny,
  Query extends z.ZodObject | undefined = undefined,
>(opts: {
  path: string;
  tag: string;
  /** The list answer's key (`{mcp_servers: […]}`) and schema. */
  listKey: string;
  list: z.ZodTypeAny;
  query?: Query;
  item: Item;
  create: Create;
  update: Update;
  summaries: { list: string; create: string; get: string; update: string; remove: string };
  /** Names are unique in a team: a create or an update may answer 409. */
  uniqueNames?: boolean;
  verbs: {
    list: (a: { ctx: Ctx; query: Out<Query> }) => Promise<z.input<Item>[]>;
    create: (a: { ctx: Ctx; input: Out<Create> }) => Promise<z.input<Item>>;
    get: (a: { ctx: Ctx; uid: string }) => Promise<z.input<Item>>;
    update: (a: { ctx: Ctx; uid: string; input: Out<Update> }) => Promise<z.input<Item>>;
    remove: (a: { ctx: Ctx; uid: string }) => Promise<void>;
  };
}): OpenAPIHono<AppEnv> {
  const { path, verbs, summaries: summary, query } = opts;
  const common = { tags: [opts.tag], security: bearer };
  const item = `${path}/{uid}`;
  const conflict = opts.uniqueNames ? [409] : [];
  const params = { params: UidParams };
  return newRouter()
    .openapi(
      createRoute({
        method: "get",
        path,
        ...common,
        summary: summary.list,
        ...(query ? { request: { query } } : {}),
        responses: {
          200: { description: "OK", ...json(opts.list) },
          ...problems(...(query ? [400] : []), 401),
        },
      }),
      async (c: Handler<{ query: Query }>) => {
        const items = await verbs.list({ ctx: serviceCtx(c), query: c.req.valid("query") });
        return c.json({ [opts.listKey]: items }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path,
        ...common,
        summary: summary.create,
        request: { body: { required: true, ...json(opts.create) } },
        responses: {
          201: { description: "Created", ...json(opts.item) },
          ...problems(400, 401, 403, ...conflict),
        },
      }),
      async (c: Handler<{ json: Create }>) => {
        const [ctx, input] = [serviceCtx(c), c.req.valid("json")];
        return c.json(await auditedWrite(ctx, undefined, () => verbs.create({ ctx, input })), 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: item,
        ...common,
        summary: summary.get,
        request: params,
        responses: { 200: { description: "OK", ...json(opts.item) }, ...problems(401, 404) },
      }),
      async (c: Handler<{ param: typeof UidParams }>) =>
        c.json(await verbs.get({ ctx: serviceCtx(c), uid: c.req.valid("param").uid }), 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: item,
        ...common,
        summary: summary.update,
        request: { ...params, body: { required: true, ...json(opts.update) } },
        responses: {
          200: { description: "Updated", ...json(opts.item) },
          ...problems(400, 401, 403, 404, ...conflict),
        },
      }),
      async (c: Handler<{ param: typeof UidParams; json: Update }>) => {
        const [ctx, uid, input] = [serviceCtx(c), c.req.valid("param").uid, c.req.valid("json")];
        const read = () => verbs.get({ ctx, uid });
        return c.json(await auditedWrite(ctx, read, () => verbs.update({ ctx, uid, input })), 200);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: item,
        ...common,
        summary: summary.remove,
        request: params,
        responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
      }),
      async (c: Handler<{ param: typeof UidParams }>) => {
        const [ctx, uid] = [serviceCtx(c), c.req.valid("param").uid];
        const read = () => verbs.get({ ctx, uid });
        await auditedWrite(ctx, read, () => verbs.remove({ ctx, uid }), { deletes: true });
        return c.body(null, 204);
      },
    );
}
