import { createRoute } from "@hono/zod-openapi";
import {
  EnvVar,
  EnvVarParams,
  EnvVarRequest,
  ListEnvVarsResponse,
  ListMcpServersResponse,
  ListRulesResponse,
  ListSavedPromptsResponse,
  McpServer,
  McpServerRequest,
  Rule,
  RuleRequest,
  SavedPrompt,
  SavedPromptRequest,
} from "@ambit/protocol";
import { deleteEnvVar, listEnvVars, putEnvVar } from "../services/config/env-vars.ts";
import {
  createMcpServer,
  deleteMcpServer,
  getMcpServer,
  listMcpServers,
  updateMcpServer,
} from "../services/config/mcp-servers.ts";
import {
  createPrompt,
  deletePrompt,
  getPrompt,
  listPrompts,
  updatePrompt,
} from "../services/config/prompts.ts";
import {
  createRule,
  deleteRule,
  getRule,
  listRules,
  updateRule,
} from "../services/config/rules.ts";
import { collectionRoutes } from "./collection.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

/** The summaries of a collection whose writes need `writer`'s role. */
const summaries = (tag: string, noun: string, writer: string) => ({
  list: `List the team's ${tag.toLowerCase()}`,
  create: `Create ${noun} (${writer})`,
  get: `Get ${noun}`,
  update: `Replace ${noun} (${writer})`,
  remove: `Delete ${noun} (${writer})`,
});

const mcpRoutes = collectionRoutes({
  path: "/agent/mcp-servers",
  tag: "MCP servers",
  listKey: "mcp_servers",
  list: ListMcpServersResponse,
  item: McpServer,
  create: McpServerRequest,
  update: McpServerRequest,
  summaries: summaries("MCP servers", "an MCP server", "admin"),
  uniqueNames: true,
  verbs: {
    list: listMcpServers,
    create: createMcpServer,
    get: getMcpServer,
    update: updateMcpServer,
    remove: deleteMcpServer,
  },
});
const ruleRoutes = collectionRoutes({
  path: "/agent/rules",
  tag: "Rules",
  listKey: "rules",
  list: ListRulesResponse,
  item: Rule,
  create: RuleRequest,
  update: RuleRequest,
  summaries: summaries("Rules", "a rule", "admin"),
  uniqueNames: true,
  verbs: {
    list: listRules,
    create: createRule,
    get: getRule,
    update: updateRule,
    remove: deleteRule,
  },
});
const promptRoutes = collectionRoutes({
  path: "/agent/prompts",
  tag: "Saved prompts",
  listKey: "prompts",
  list: ListSavedPromptsResponse,
  item: SavedPrompt,
  create: SavedPromptRequest,
  update: SavedPromptRequest,
  summaries: summaries("Saved prompts", "a saved prompt", "member"),
  uniqueNames: true,
  verbs: {
    list: listPrompts,
    create: createPrompt,
    get: getPrompt,
    update: updatePrompt,
    remove: deletePrompt,
  },
});

const envVarRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/env-vars",
      tags: ["Env vars"],
      security: bearer,
      summary: "List the team's environment variables (not secret)",
      responses: { 200: { description: "OK", ...json(ListEnvVarsResponse) }, ...problems(401) },
    }),
    async (c) => c.json({ env_vars: await listEnvVars({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/agent/env-vars/{name}",
      tags: ["Env vars"],
      security: bearer,
      summary: "Set a team environment variable (admin)",
      request: { params: EnvVarParams, body: { required: true, ...json(EnvVarRequest) } },
      responses: {
        200: { description: "Replaced", ...json(EnvVar) },
        201: { description: "Created", ...json(EnvVar) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      const r = await putEnvVar({
        ctx: serviceCtx(c),
        name: c.req.valid("param").name,
        input: c.req.valid("json"),
      });
      return r.created ? c.json(r.envVar, 201) : c.json(r.envVar, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/agent/env-vars/{name}",
      tags: ["Env vars"],
      security: bearer,
      summary: "Delete a team environment variable (admin)",
      request: { params: EnvVarParams },
      responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteEnvVar({ ctx: serviceCtx(c), name: c.req.valid("param").name });
      return c.body(null, 204);
    },
  );

export const teamConfigRoutes = newRouter()
  .route("/", mcpRoutes)
  .route("/", ruleRoutes)
  .route("/", promptRoutes)
  .route("/", envVarRoutes);
