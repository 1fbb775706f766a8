import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client.ts";
import { AppError } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { claimIdempotencyKey, completeIdempotencyStatement, releaseIdempotencyKey, sealResponse } from "../services/idempotency.ts";
import type { AppEnv } from "./types.ts";

const KEY_RE = /^[\x21-\x7e]{1,255}$/;
/** Answers worth replaying: final ones. Transient conflicts and server errors are left for a retry. */
const isFinal = (status: number) => status < 500 && status !== 409 && status !== 429;

/**
 * `Idempotency-Key` on POST: the same key and body within 24 h answers the first response again
 * (with `idempotent-replayed: true`) and creates nothing; the same key with another body is 422.
 * Services that write in a batch complete the key inside it (atomic with their write).
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_RE.test(key)) {
    throw new AppError("invalid_request", "Idempotency-Key must be 1-255 printable ASCII characters, such as a UUID", {
      errors: [{ path: "header.Idempotency-Key", message: "invalid format" }],
    });
  }
  const db = createDb(c.env.DB);
  const body = await c.req.text();
  // keyed by the client's key (never stored): a body may hold a secret value, and a plain hash of
  // it in D1 could be checked against guesses
  const requestHash = await sha256Hex(`${key}\n${c.req.method} ${c.req.path}\n${body}`);
  const scope = c.get("auth")?.teamId ?? "public";
  const outcome = await claimIdempotencyKey(db, { scope, key, requestHash });
  if ("replay" in outcome) {
    const { status, body: stored } = outcome.replay;
    return c.body(stored, status as 200, {
      "content-type": status >= 400 ? "application/problem+json" : "application/json",
      "idempotent-replayed": "true",
      ...(status >= 400 ? { "x-should-retry": "false" } : {}), // only final answers are stored
    });
  }
  const claim = outcome.claim;
  c.set("idempotency", claim);
  await next();
  if (claim.completed) return;
  // thrown AppErrors arrive here already translated (c.error is set): a final 4xx is stored like any answer
  if (!isFinal(c.res.status)) {
    await releaseIdempotencyKey(db, claim);
    return;
  }
  const text = await c.res.clone().text();
  await completeIdempotencyStatement(db, claim, await sealResponse(claim, { status: c.res.status, body: text }));
  claim.completed = true;
});
