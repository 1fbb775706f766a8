import { createRoute, z } from "@hono/zod-openapi";
import {
  CreateScheduledAgentRequest,
  DeleteScheduledAgentResponse,
  ListScheduledAgentsResponse,
  ScheduledAgentItem,
  UpdateScheduledAgentRequest,
} from "@ambit/protocol";
import { getSchedule, listSchedules } from "../services/schedules/get-schedule.ts";
import {
  createSchedule,
  deleteSchedule,
  setScheduleEnabled,
  updateSchedule,
} from "../services/schedules/write-schedule.ts";
import { auditedWrite } from "../lib/audit-note.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

const Params = z.object({ scheduleId: z.string().min(1).max(64) });
const item = (description: string) => ({
  description,
  content: { "application/json": { schema: ScheduledAgentItem } },
});
const tags = ["Schedules"];

export const schedulesRoutes = newRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/schedules",
      tags,
      security: bearer,
      summary: "Create a scheduled agent",
      description:
        "Starts a run on every slot of a 5-field cron (UTC unless `timezone` is set). `team: false` makes a personal schedule.",
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: CreateScheduledAgentRequest } },
        },
      },
      responses: { 201: item("The schedule"), ...problems(400, 401, 403, 413, 422) },
    }),
    async (c) => {
      const ctx = serviceCtx(c);
      const input = c.req.valid("json");
      return c.json(await auditedWrite(ctx, undefined, () => createSchedule({ ctx, input })), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/schedules",
      tags,
      security: bearer,
      summary: "List the schedules you can see, sorted by name",
      responses: {
        200: {
          description: "Every schedule (not paginated)",
          content: { "application/json": { schema: ListScheduledAgentsResponse } },
        },
        ...problems(401),
      },
    }),
    async (c) => c.json(await listSchedules({ ctx: serviceCtx(c) }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/schedules/{scheduleId}",
      tags,
      security: bearer,
      summary: "Get a schedule, with its history and next run",
      request: { params: Params },
      responses: { 200: item("The schedule"), ...problems(401, 404) },
    }),
    async (c) =>
      c.json(
        await getSchedule({ ctx: serviceCtx(c), scheduleId: c.req.valid("param").scheduleId }),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/agent/schedules/{scheduleId}",
      tags,
      security: bearer,
      summary: "Replace a schedule",
      description:
        "Full replacement: omitted `metadata`, `agent_config` and `mode` are cleared; `timezone` and `overlap_policy` keep their value when omitted. Affects future slots only.",
      request: {
        params: Params,
        body: {
          required: true,
          content: { "application/json": { schema: UpdateScheduledAgentRequest } },
        },
      },
      responses: { 200: item("The schedule"), ...problems(400, 401, 403, 404, 413) },
    }),
    async (c) => {
      const [ctx, { scheduleId }, input] = [
        serviceCtx(c),
        c.req.valid("param"),
        c.req.valid("json"),
      ];
      const read = () => getSchedule({ ctx, scheduleId });
      return c.json(
        await auditedWrite(ctx, read, () => updateSchedule({ ctx, scheduleId, input })),
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/agent/schedules/{scheduleId}",
      tags,
      security: bearer,
      summary: "Delete a schedule (its runs are kept)",
      request: { params: Params },
      responses: {
        200: {
          description: "Deleted",
          content: { "application/json": { schema: DeleteScheduledAgentResponse } },
        },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const [ctx, { scheduleId }] = [serviceCtx(c), c.req.valid("param")];
      const read = () => getSchedule({ ctx, scheduleId });
      const write = () => deleteSchedule({ ctx, scheduleId });
      return c.json(await auditedWrite(ctx, read, write, { deletes: true }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/schedules/{scheduleId}/pause",
      tags,
      security: bearer,
      summary: "Pause a schedule (enabled: false)",
      request: { params: Params },
      responses: { 200: item("The schedule"), ...problems(401, 403, 404) },
    }),
    async (c) => {
      const [ctx, { scheduleId }] = [serviceCtx(c), c.req.valid("param")];
      const read = () => getSchedule({ ctx, scheduleId });
      const write = () => setScheduleEnabled({ ctx, scheduleId, enabled: false });
      return c.json(await auditedWrite(ctx, read, write), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/agent/schedules/{scheduleId}/resume",
      tags,
      security: bearer,
      summary: "Resume a schedule from its next slot after now",
      request: { params: Params },
      responses: { 200: item("The schedule"), ...problems(401, 403, 404) },
    }),
    async (c) => {
      const [ctx, { scheduleId }] = [serviceCtx(c), c.req.valid("param")];
      const read = () => getSchedule({ ctx, scheduleId });
      const write = () => setScheduleEnabled({ ctx, scheduleId, enabled: true });
      return c.json(await auditedWrite(ctx, read, write), 200);
    },
  );
