import { createRoute } from "@hono/zod-openapi";
import { SetSsoConfigRequest, SsoConfig } from "@ambit/protocol";
import { deleteSsoConfig, getSsoConfig, setSsoConfig } from "../services/sso/config.ts";
import { bearer, json, newRouter, problems, serviceCtx } from "./ctx.ts";

// The team's single sign-on settings (admins; docs/sso.md).

export const ssoConfigRoutes = newRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/team/sso",
      tags: ["Team"],
      security: bearer,
      summary: "The team's single sign-on (admin; never the client secret)",
      responses: { 200: { description: "OK", ...json(SsoConfig) }, ...problems(401, 403, 404) },
    }),
    async (c) => c.json(await getSsoConfig({ ctx: serviceCtx(c) }), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/team/sso",
      tags: ["Team"],
      security: bearer,
      summary: "Set the team's single sign-on (admin)",
      description:
        "An OpenID Connect provider (its discovery document is read now, so a wrong issuer fails " +
        "here) or the `github` preset. The client secret is sealed with the team's data key and " +
        "never returned; omit it to keep the stored one. Turning `required` on ends the team's " +
        "console sessions opened with a key or a link; API keys keep working.",
      request: { body: { required: true, ...json(SetSsoConfigRequest) } },
      responses: { 200: { description: "Set", ...json(SsoConfig) }, ...problems(400, 401, 403) },
    }),
    async (c) =>
      c.json(await setSsoConfig({ ctx: serviceCtx(c), input: c.req.valid("json") }), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/team/sso",
      tags: ["Team"],
      security: bearer,
      summary: "Remove the team's single sign-on (admin)",
      description: "Sign-in links and API-key sign-in work again; SSO sessions already open stay.",
      responses: { 204: { description: "Removed" }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      await deleteSsoConfig({ ctx: serviceCtx(c) });
      return c.body(null, 204);
    },
  );
