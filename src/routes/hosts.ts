import { createRoute, z } from "@hono/zod-openapi";
import { ConnectedSelfHostedWorker, HostInfo } from "@ambit/protocol";
import {
  connectHost,
  connectPlatformHost,
  listConnectedWorkers,
  listHosts,
} from "../services/hosts.ts";
import { bearer, newRouter, problems, serviceCtx } from "./ctx.ts";

export const hostRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/selfhosted/worker/ws",
      tags: ["Hosts"],
      security: bearer,
      summary:
        "Connect a host to the team's pool (websocket; admin key, or a platform host credential)",
      description:
        "Envelope `{type, data}` messages: see HostMessage / ServerHostMessage in @ambit/protocol. `worker_id=warp` is the platform pool. " +
        "A runner container the platform started (PLATFORM_HOSTS=containers) presents a host credential instead of a key: it connects to `warp` only, with capacity 1, for one run.",
      request: { query: z.object({ worker_id: z.string().optional() }) },
      responses: { 101: { description: "Switching protocols" }, ...problems(400, 401, 403) },
    }),
    async (c) => {
      const { worker_id } = c.req.valid("query");
      const token = c.get("hostToken");
      if (token)
        return connectPlatformHost({
          env: c.env,
          claims: token,
          workerId: worker_id,
          request: c.req.raw,
        }) as never;
      return connectHost({ ctx: serviceCtx(c), workerId: worker_id, request: c.req.raw }) as never;
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/agent/connected-self-hosted-workers",
      tags: ["Hosts"],
      security: bearer,
      summary: "Self-hosted workers connected now",
      responses: {
        200: {
          description: "OK",
          content: {
            "application/json": {
              schema: z.object({ workers: z.array(ConnectedSelfHostedWorker) }),
            },
          },
        },
        ...problems(401),
      },
    }),
    async (c) => c.json({ workers: await listConnectedWorkers({ ctx: serviceCtx(c) }) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/hosts",
      tags: ["Hosts"],
      security: bearer,
      summary: "Every connected host connection with capacity and running runs",
      responses: {
        200: {
          description: "OK",
          content: { "application/json": { schema: z.object({ hosts: z.array(HostInfo) }) } },
        },
        ...problems(401),
      },
    }),
    async (c) => c.json({ hosts: await listHosts({ ctx: serviceCtx(c) }) }, 200),
  );
