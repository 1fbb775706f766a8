import { createRoute, z } from "@hono/zod-openapi";
import {
  EnvVar, EnvVarParams, EnvVarRequest, ListEnvVarsResponse, ListMcpServersResponse, ListRulesResponse, ListSavedPromptsResponse,
  McpServer, McpServerRequest, Rule, RuleRequest, SavedPrompt, SavedPromptRequest, UidParams,
} from "@ambit/protocol";
import { deleteEnvVar, listEnvVars, putEnvVar } from "../services/config/env-vars.ts";
import { createMcpServer, deleteMcpServer, getMcpServer, listMcpServers, updateMcpServer } from "../services/config/mcp-servers.ts";
import { createPrompt, deletePrompt, getPrompt, listPrompts, updatePrompt } from "../services/config/prompts.ts";
import { createRule, deleteRule, getRule, listRules, updateRule } from "../services/config/rules.ts";
import type { Ctx } from "../services/context.ts";
import type { Context } from "hono";
import type { AppEnv } from "../middleware/types.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const json = <T extends z.ZodTypeAny>(schema: T) => ({ content: { "application/json": { schema } } });
// Hono cannot infer validated targets through a generic route declaration; the zod schemas still validate.
const valid = (c: Context<AppEnv>, target: "json" | "param") => (c.req.valid as unknown as (t: string) => any)(target);

/** The five routes of a team-scoped collection of uid-named items (list, create, get, replace, delete). */
function collection<Req extends z.ZodTypeAny, Item extends z.ZodTypeAny>(opts: {
  path: string; tag: string; noun: string; listKey: string; list: z.ZodTypeAny; item: Item; request: Req; writer: string;
  verbs: {
    list: (a: { ctx: Ctx }) => Promise<unknown[]>;
    create: (a: { ctx: Ctx; input: z.infer<Req> }) => Promise<unknown>;
    get: (a: { ctx: Ctx; uid: string }) => Promise<unknown>;
    update: (a: { ctx: Ctx; uid: string; input: z.infer<Req> }) => Promise<unknown>;
    remove: (a: { ctx: Ctx; uid: string }) => Promise<void>;
  };
}) {
  const { path, tag, verbs } = opts;
  const tags = [tag];
  return newRouter()
    .openapi(
      createRoute({ method: "get", path, tags, security: bearer, summary: `List the team's ${opts.tag.toLowerCase()}`, responses: { 200: { description: "OK", ...json(opts.list) }, ...problems(401) } }),
      async (c) => c.json({ [opts.listKey]: await verbs.list({ ctx: serviceCtx(c) }) } as never, 200),
    )
    .openapi(
      createRoute({
        method: "post", path, tags, security: bearer, summary: `Create ${opts.noun} (${opts.writer})`,
        request: { body: { required: true, ...json(opts.request) } },
        responses: { 201: { description: "Created", ...json(opts.item) }, ...problems(400, 401, 403, 409) },
      }),
      async (c) => c.json((await verbs.create({ ctx: serviceCtx(c), input: valid(c, "json") })) as never, 201),
    )
    .openapi(
      createRoute({ method: "get", path: `${path}/{uid}`, tags, security: bearer, summary: `Get ${opts.noun}`, request: { params: UidParams }, responses: { 200: { description: "OK", ...json(opts.item) }, ...problems(401, 404) } }),
      async (c) => c.json((await verbs.get({ ctx: serviceCtx(c), uid: valid(c, "param").uid })) as never, 200),
    )
    .openapi(
      createRoute({
        method: "put", path: `${path}/{uid}`, tags, security: bearer, summary: `Replace ${opts.noun} (${opts.writer})`,
        request: { params: UidParams, body: { required: true, ...json(opts.request) } },
        responses: { 200: { description: "Updated", ...json(opts.item) }, ...problems(400, 401, 403, 404, 409) },
      }),
      async (c) => c.json((await verbs.update({ ctx: serviceCtx(c), uid: valid(c, "param").uid, input: valid(c, "json") })) as never, 200),
    )
    .openapi(
      createRoute({ method: "delete", path: `${path}/{uid}`, tags, security: bearer, summary: `Delete ${opts.noun} (${opts.writer})`, request: { params: UidParams }, responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) } }),
      async (c) => {
        await verbs.remove({ ctx: serviceCtx(c), uid: valid(c, "param").uid });
        return c.body(null, 204);
      },
    );
}

const mcpRoutes = collection({
  path: "/agent/mcp-servers", tag: "MCP servers", noun: "an MCP server", listKey: "mcp_servers", list: ListMcpServersResponse, item: McpServer, request: McpServerRequest, writer: "admin",
  verbs: { list: listMcpServers, create: createMcpServer, get: getMcpServer, update: updateMcpServer, remove: deleteMcpServer },
});
const ruleRoutes = collection({
  path: "/agent/rules", tag: "Rules", noun: "a rule", listKey: "rules", list: ListRulesResponse, item: Rule, request: RuleRequest, writer: "admin",
  verbs: { list: listRules, create: createRule, get: getRule, update: updateRule, remove: deleteRule },
});
const promptRoutes = collection({
  path: "/agent/prompts", tag: "Saved prompts", noun: "a saved prompt", listKey: "prompts", list: ListSavedPromptsResponse, item: SavedPrompt, request: SavedPromptRequest, writer: "member",
  verbs: { list: listPrompts, create: createPrompt, get: getPrompt, update: updatePrompt, remove: deletePrompt },
});

const envVarRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get", path: "/agent/env-vars", tags: ["Env vars"], security: bearer, summary: "List the team's environment variables (not secret)",
      responses: { 200: { description: "OK", ...json(ListEnvVarsResponse) }, ...problems(401) },
    }),
    async (c) => c.json({ env_vars: await listEnvVars({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      method: "put", path: "/agent/env-vars/{name}", tags: ["Env vars"], security: bearer, summary: "Set a team environment variable (admin)",
      request: { params: EnvVarParams, body: { required: true, ...json(EnvVarRequest) } },
      responses: { 200: { description: "Replaced", ...json(EnvVar) }, 201: { description: "Created", ...json(EnvVar) }, ...problems(400, 401, 403) },
    }),
    async (c) => {
      const r = await putEnvVar({ ctx: serviceCtx(c), name: c.req.valid("param").name, input: c.req.valid("json") });
      return r.created ? c.json(r.envVar, 201) : c.json(r.envVar, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete", path: "/agent/env-vars/{name}", tags: ["Env vars"], security: bearer, summary: "Delete a team environment variable (admin)",
      request: { params: EnvVarParams }, responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteEnvVar({ ctx: serviceCtx(c), name: c.req.valid("param").name });
      return c.body(null, 204);
    },
  );

export const teamConfigRoutes = newRouter().route("/", mcpRoutes).route("/", ruleRoutes).route("/", promptRoutes).route("/", envVarRoutes);
