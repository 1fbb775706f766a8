import { createRoute, z } from "@hono/zod-openapi";
import {
  DeviceCodeRequest,
  DeviceCodeResponse,
  DeviceDecision,
  DeviceLogin,
  DeviceTokenRequest,
  DeviceTokenResponse,
} from "@ambit/protocol";
import { createDb } from "../db/client.ts";
import { signInRateLimit } from "../middleware/sign-in-rate-limit.ts";
import {
  createDeviceLogin,
  decideDeviceLogin,
  getDeviceLogin,
  pollDeviceLogin,
} from "../services/device-logins.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

// `ambit login --web`: the CLI's two public calls (a code pair, then polls), and the signed-in
// person's look and decision in the console (`/login/device?code=…`).

const NO_STORE = { "cache-control": "no-store" };

export const deviceLoginPublicRoutes = newRouter();
deviceLoginPublicRoutes.use("/auth/device/code", signInRateLimit);
deviceLoginPublicRoutes
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/device/code",
      tags: ["Console sign-in"],
      summary: "A code pair for `ambit login --web`",
      description:
        "The CLI shows `user_code`, opens `verification_uri_complete` and polls " +
        "`POST /auth/device/token` with `device_code` every `interval` seconds; the codes " +
        "expire after `expires_in` seconds. Limited per client address " +
        "(`SIGN_INS_PER_IP_PER_MINUTE`).",
      request: { body: { required: true, ...json(DeviceCodeRequest) } },
      responses: { 200: { description: "OK", ...json(DeviceCodeResponse) }, ...problems(400, 429) },
    }),
    async (c) => {
      const { client_name } = c.req.valid("json");
      const db = createDb(c.env.DB);
      const baseUrl = new URL(c.req.url).origin;
      const pair = await createDeviceLogin({ db, clientName: client_name, baseUrl });
      return c.json(pair, 200, NO_STORE);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/device/token",
      tags: ["Console sign-in"],
      summary: "The CLI's poll: pending, slow down, denied, expired, or the new API key",
      description:
        "`approved` carries the API key once (a second poll finds `expired_token`). Polling " +
        "sooner than `interval` answers `slow_down` with a longer interval to keep.",
      request: { body: { required: true, ...json(DeviceTokenRequest) } },
      responses: { 200: { description: "OK", ...json(DeviceTokenResponse) }, ...problems(400) },
    }),
    async (c) => {
      const db = createDb(c.env.DB);
      const deviceCode = c.req.valid("json").device_code;
      return c.json(await pollDeviceLogin({ db, env: c.env, deviceCode }), 200, NO_STORE);
    },
  );

const CodeParams = z.object({ user_code: z.string().min(1).max(20) });

export const deviceLoginRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/device/{user_code}",
      tags: ["Console sign-in"],
      security: bearer,
      summary: "A CLI sign-in waiting for approval: which machine asks",
      request: { params: CodeParams },
      responses: { 200: { description: "OK", ...json(DeviceLogin) }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      const ctx = serviceCtx(c);
      return c.json(await getDeviceLogin({ ctx, userCode: c.req.valid("param").user_code }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/device/{user_code}",
      tags: ["Console sign-in"],
      security: bearer,
      summary: "Approve or deny a CLI sign-in",
      description:
        "Approving mints the caller an API key named after the machine (like `POST /api-keys` " +
        "for themselves: revocable in the key list) that the waiting CLI receives once. Only a " +
        "person approves.",
      request: { params: CodeParams, body: { required: true, ...json(DeviceDecision) } },
      responses: {
        200: { description: "Decided", ...json(DeviceLogin) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const input = {
        ctx: serviceCtx(c),
        userCode: c.req.valid("param").user_code,
        approve: c.req.valid("json").approve,
      };
      return c.json(await decideDeviceLogin(input), 200);
    },
  );
