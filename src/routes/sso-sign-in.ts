import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import { createDb } from "../db/client.ts";
import { log } from "../lib/log.ts";
import { sessionCookie } from "../middleware/session.ts";
import { signInRateLimit } from "../middleware/sign-in-rate-limit.ts";
import type { AppEnv } from "../middleware/types.ts";
import { finishSsoSignIn, refusalOf, startSsoSignIn } from "../services/sso/sign-in.ts";
import { newRouter, problems } from "./ctx.ts";
import { recordSignIn } from "../services/audit/sign-in.ts";
import { auditClient } from "../middleware/audit.ts";
import { safeNext, signOutPrevious } from "./web-auth.ts";

// Signing in to the console through a team's single sign-on (docs/sso.md). Public: the browser
// has no credential yet. The state cookie ties the provider's answer to the browser that asked.

const STATE_COOKIE = "ambit_sso_state";
const NO_STORE = { "cache-control": "no-store", "referrer-policy": "no-referrer" };

const stateCookie = (c: Context<AppEnv>, value: string, maxAge: number) =>
  generateCookie(STATE_COOKIE, value, {
    path: "/api/v1/auth/sso/",
    httpOnly: true,
    sameSite: "Lax", // sent on the provider's top-level redirect back, never on a cross-site write
    secure: new URL(c.req.url).protocol === "https:",
    maxAge,
  });

/** Back to the sign-in page, saying why (a reason code the page explains). */
const refusedPage = (reason: string, team?: string) =>
  `/sign-in?error=sso&reason=${reason}${team ? `&team=${encodeURIComponent(team)}` : ""}`;

const LIMITED = "Limited per client address (`SIGN_INS_PER_IP_PER_MINUTE`).";

export const ssoSignInRoutes = newRouter();
ssoSignInRoutes.use("/auth/sso/*", signInRateLimit);
ssoSignInRoutes
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/sso/start",
      tags: ["Console sign-in"],
      summary: "Start signing in with the team's single sign-on",
      description:
        "Redirects (302) to the team's identity provider (authorization code with PKCE, state " +
        "and nonce) and sets a short-lived state cookie. A team without SSO redirects to " +
        `\`/sign-in?error=sso&reason=not_configured\`. ${LIMITED}`,
      request: {
        query: z.object({
          team: z.string().min(1).max(64).describe("the team's uid"),
          next: z.string().max(2000).optional().describe("a path of this origin to land on"),
        }),
      },
      responses: { 302: { description: "To the provider: see `Location`" }, ...problems(429) },
    }),
    async (c) => {
      const { team, next } = c.req.valid("query");
      const origin = new URL(c.req.url).origin;
      try {
        const started = await startSsoSignIn({
          db: createDb(c.env.DB),
          env: c.env,
          teamId: team,
          next: safeNext(next, origin),
          baseUrl: origin,
        });
        const cookie = stateCookie(c, started.state, started.maxAgeSeconds);
        return c.body(null, 302, { ...NO_STORE, location: started.url, "set-cookie": cookie });
      } catch (err) {
        const reason = refusalOf(err);
        if (!reason) throw err;
        return c.body(null, 303, { ...NO_STORE, location: refusedPage(reason, team) });
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/sso/callback",
      tags: ["Console sign-in"],
      summary: "The identity provider's redirect back (register this URL with the provider)",
      description:
        "Checks the state against this browser's cookie and the stored sign-in (single use, 10 " +
        "minutes), exchanges the code with the PKCE verifier, checks the ID token's signature " +
        "(the issuer's JWKS), issuer, audience and nonce, then signs the person in: a member by " +
        "verified email, or a new member with the configured role when their email's domain is " +
        "allowed. Redirects (303) to `next`, or to `/sign-in?error=sso&reason=…` " +
        "(`state_mismatch`, " +
        "`expired`, `provider_error`, `email_not_verified`, `domain_not_allowed`, " +
        `\`not_configured\`). ${LIMITED}`,
      request: { query: z.object({ state: z.string().max(500).optional() }).passthrough() },
      responses: { 303: { description: "Signed in (or not): see `Location`" }, ...problems(429) },
    }),
    async (c) => {
      const url = new URL(c.req.url);
      const cleared = stateCookie(c, "", 0);
      try {
        const { session, next } = await finishSsoSignIn({
          db: createDb(c.env.DB),
          env: c.env,
          callback: url,
          browserState: getCookie(c, STATE_COOKIE),
          baseUrl: url.origin,
          userAgent: c.req.header("user-agent"),
        });
        await signOutPrevious(c);
        await recordSignIn(c.env, session, "sso", auditClient(c));
        c.header("set-cookie", cleared, { append: true });
        c.header("set-cookie", sessionCookie(c, session.token, session.expiresAt), {
          append: true,
        });
        return c.body(null, 303, { ...NO_STORE, location: next });
      } catch (err) {
        const reason = refusalOf(err);
        if (!reason) throw err;
        // the reason reaches the page; the provider's words only the log
        log.warn("single sign-on refused", { reason, detail: (err as Error).message });
        c.header("set-cookie", cleared, { append: true });
        return c.body(null, 303, { ...NO_STORE, location: refusedPage(reason) });
      }
    },
  );
