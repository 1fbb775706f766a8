import { createRoute, z } from "@hono/zod-openapi";
import { SignInRequest } from "@ambit/protocol";
import type { Context } from "hono";
import { createDb } from "../db/client.ts";
import { AppError } from "../lib/errors.ts";
import { auditClient } from "../middleware/audit.ts";
import { bodyLimit } from "../middleware/body-limit.ts";
import {
  assertSameOrigin,
  clearedSessionCookie,
  sessionCookie,
  sessionToken,
} from "../middleware/session.ts";
import { signInRateLimit } from "../middleware/sign-in-rate-limit.ts";
import type { AppEnv } from "../middleware/types.ts";
import {
  type NewSession,
  signInWithKey,
  signInWithLink,
  signOut,
} from "../services/web-sessions.ts";
import { recordSignIn, recordSignInFailure, recordSignOut } from "../services/audit/sign-in.ts";
import { newRouter, problems } from "./ctx.ts";

// Signing in to the web console: the one set of endpoints that exists for it alone. Mounted at
// the root (/auth/…), beside the console's pages; their answers are never cached, anywhere.

const NO_STORE = { "cache-control": "no-store" };

/** Where to go after signing in: a path of this origin (`/…`, never `//…` or `/\…`), else `/`. */
export function safeNext(next: string | undefined, origin: string): string {
  // browsers read `/\host` as `//host`, and drop tabs and newlines from URLs
  if (!next?.startsWith("/") || /^\/[/\\]/.test(next) || /[\u0000-\u001f\\]/.test(next)) {
    return "/";
  }
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? `${url.pathname}${url.search}${url.hash}` : "/";
  } catch {
    return "/";
  }
}

/** Ends the session the browser held before this sign-in (its cookie is about to be replaced). */
export async function signOutPrevious(c: Context<AppEnv>) {
  const db = createDb(c.env.DB);
  return signOut({ db, env: c.env, token: sessionToken(c), requestId: c.get("requestId") });
}

const userAgent = (c: Context<AppEnv>) => c.req.header("user-agent");
const withCookie = (c: Context<AppEnv>, s: NewSession) => ({
  ...NO_STORE,
  "set-cookie": sessionCookie(c, s.token, s.expiresAt),
});
const LIMITED = "Limited per client address (`SIGN_INS_PER_IP_PER_MINUTE`).";

export const webAuthRoutes = newRouter();
webAuthRoutes.use("/auth/link/*", signInRateLimit);
webAuthRoutes.on("POST", "/auth/sign-in", signInRateLimit, bodyLimit);
webAuthRoutes
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/link/{token}",
      tags: ["Console sign-in"],
      summary: "Sign in with a one-time link (`npm start`, `npm run sign-in-link`)",
      description:
        "Consumes the link (15 minutes, single use), sets the session cookie and redirects (303) " +
        "to `next` (a path of this origin) or `/`. A used, expired or unknown link redirects to " +
        "`/sign-in?error=link_expired`; a team that requires single sign-on, to " +
        `\`/sign-in?error=sso_required&team=<uid>\`. ${LIMITED}`,
      request: {
        params: z.object({ token: z.string().max(200) }),
        query: z.object({ next: z.string().max(2000).optional() }),
      },
      responses: { 303: { description: "Signed in (or not): see `Location`" }, ...problems(429) },
    }),
    async (c) => {
      // a HEAD (a link checker, a preview) does not use up the link
      if (c.req.method === "HEAD") return c.body(null, 200, NO_STORE);
      const db = createDb(c.env.DB);
      const { token } = c.req.valid("param");
      // the link's URL (with its token) is not passed on to the next page
      const headers = { ...NO_STORE, "referrer-policy": "no-referrer" };
      const session = await signInWithLink({ db, token, userAgent: userAgent(c) }).catch(
        (err: unknown) => {
          const team = err instanceof AppError && err.details?.team_uid;
          if (!team) throw err;
          return `/sign-in?error=sso_required&team=${encodeURIComponent(String(team))}`;
        },
      );
      if (typeof session === "string") return c.body(null, 303, { ...headers, location: session });
      if (!session) {
        return c.body(null, 303, { ...headers, location: "/sign-in?error=link_expired" });
      }
      await signOutPrevious(c);
      await recordSignIn(c.env, session, "link", auditClient(c));
      const location = safeNext(c.req.valid("query").next, new URL(c.req.url).origin);
      return c.body(null, 303, { ...headers, ...withCookie(c, session), location });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/sign-in",
      tags: ["Console sign-in"],
      summary: "Sign in with a user's API key",
      description:
        "Opens a web session (the `ambit_session` cookie) that acts as the key's user, never " +
        "above the key, and ends when the key is revoked or expires. A service account's key is " +
        "refused (403), and so is any key of a team that requires single sign-on (403, " +
        `\`sso_required\`). ${LIMITED}`,
      request: {
        body: { required: true, content: { "application/json": { schema: SignInRequest } } },
      },
      responses: {
        204: { description: "Signed in: `Set-Cookie`" },
        ...problems(400, 401, 403, 429),
      },
    }),
    async (c) => {
      assertSameOrigin(c, false);
      const db = createDb(c.env.DB);
      const apiKey = c.req.valid("json").api_key;
      const session = await signInWithKey({ db, apiKey, userAgent: userAgent(c) }).catch(
        async (err: unknown) => {
          if (err instanceof AppError)
            await recordSignInFailure(c.env, apiKey, err.code, auditClient(c));
          throw err;
        },
      );
      await signOutPrevious(c);
      await recordSignIn(c.env, session, "key", auditClient(c));
      return c.body(null, 204, withCookie(c, session));
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/sign-out",
      tags: ["Console sign-in"],
      summary: "Sign out: end this browser's session and clear its cookie",
      responses: {
        204: { description: "Signed out (also when no session was there)" },
        ...problems(403),
      },
    }),
    async (c) => {
      assertSameOrigin(c, false);
      const ended = await signOutPrevious(c);
      if (ended) await recordSignOut(c.env, ended, auditClient(c));
      return c.body(null, 204, { ...NO_STORE, "set-cookie": clearedSessionCookie(c) });
    },
  );
