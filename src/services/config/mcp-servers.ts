import type { McpServer, McpServerRequest } from "@ambit/protocol";
import { and, eq } from "drizzle-orm";
import { mcpServers } from "../../db/schema.ts";
import { AppError, notFound } from "../../lib/errors.ts";
import { newUid } from "../../lib/ids.ts";
import { iso } from "../../lib/time.ts";
import { type Ctx, requireRole } from "../context.ts";
import { loadTeamConfig, type McpServerRow, writeTeamConfig, writtenBy } from "./team-config.ts";

export const toMcpServer = (row: McpServerRow): McpServer => ({
  uid: row.id, name: row.name, description: row.description, config: row.config as McpServer["config"], created_at: iso(row.createdAt), updated_at: iso(row.updatedAt),
});

const key = (ctx: Ctx, uid: string) => and(eq(mcpServers.teamId, ctx.teamId), eq(mcpServers.id, uid));

const nameTaken = (name: string) => new AppError("conflict", `an MCP server named '${name}' already exists; pick another name`, { retryable: false });

async function assertNameFree(ctx: Ctx, name: string, except?: string) {
  if ((await loadTeamConfig(ctx)).mcpServers.some((m) => m.name === name && m.id !== except)) throw nameTaken(name);
}

export async function listMcpServers({ ctx }: { ctx: Ctx }) {
  return (await loadTeamConfig(ctx)).mcpServers.map(toMcpServer);
}

export async function getMcpServer({ ctx, uid }: { ctx: Ctx; uid: string }) {
  const row = (await loadTeamConfig(ctx)).mcpServers.find((m) => m.id === uid);
  if (!row) throw notFound("MCP server", uid);
  return toMcpServer(row);
}

export async function createMcpServer({ ctx, input }: { ctx: Ctx; input: McpServerRequest }) {
  requireRole(ctx, "admin", "Registering MCP servers");
  await assertNameFree(ctx, input.name);
  const now = Date.now();
  const row: McpServerRow = { id: newUid(), teamId: ctx.teamId, name: input.name, description: input.description ?? null, config: input.config, ...writtenBy(ctx), createdAt: now, updatedAt: now };
  await writeTeamConfig(ctx, [ctx.db.insert(mcpServers).values(row)], () => nameTaken(input.name));
  return toMcpServer(row);
}

export async function updateMcpServer({ ctx, uid, input }: { ctx: Ctx; uid: string; input: McpServerRequest }) {
  requireRole(ctx, "admin", "Changing MCP servers");
  const [row] = await ctx.db.select().from(mcpServers).where(key(ctx, uid)).limit(1);
  if (!row) throw notFound("MCP server", uid);
  await assertNameFree(ctx, input.name, uid);
  const next: McpServerRow = { ...row, name: input.name, description: input.description ?? null, config: input.config, ...writtenBy(ctx), updatedAt: Date.now() };
  await writeTeamConfig(ctx, [ctx.db.update(mcpServers).set(next).where(key(ctx, uid))], () => nameTaken(input.name));
  return toMcpServer(next);
}

export async function deleteMcpServer({ ctx, uid }: { ctx: Ctx; uid: string }) {
  requireRole(ctx, "admin", "Removing MCP servers");
  const [row] = await ctx.db.select({ id: mcpServers.id }).from(mcpServers).where(key(ctx, uid)).limit(1);
  if (!row) throw notFound("MCP server", uid);
  await writeTeamConfig(ctx, [ctx.db.delete(mcpServers).where(key(ctx, uid))]);
}
