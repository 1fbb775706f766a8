import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client.ts";
import { AppError } from "../lib/errors.ts";
import { sha256Hex } from "../lib/hash.ts";
import { problemResponse } from "../lib/problem.ts";
import {
  callerScope,
  claimIdempotencyKey,
  completeIdempotencyStatement,
  releaseIdempotencyKey,
  sealResponse,
} from "../services/idempotency.ts";
import type { AppEnv, SecretAnswer } from "./types.ts";

const KEY_RE = /^[\x21-\x7e]{1,255}$/;
/** Answers worth replaying: final ones. Transient conflicts and server errors are left for a retry. */
const isFinal = (status: number) => status < 500 && status !== 409 && status !== 429;

/**
 * `Idempotency-Key` on POST: the same caller with the same key and body within 24 h gets the first
 * response again (with `idempotent-replayed: true`) and creates nothing; the same key with another
 * body is 422. A record belongs to the API key that made it (another key, even of the same user,
 * makes a new request), and is replayed only while that key's role is still as strong. Services
 * that write in a batch complete the key inside it (atomic with their write). Routes whose answer
 * holds a secret say so with `answerHoldsSecret`: their answer is never stored.
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_RE.test(key)) {
    throw new AppError(
      "invalid_request",
      "Idempotency-Key must be 1-255 printable ASCII characters, such as a UUID",
      {
        errors: [{ path: "header.Idempotency-Key", message: "invalid format" }],
      },
    );
  }
  const db = createDb(c.env.DB);
  const body = await c.req.text();
  // keyed by the client's key (never stored): a body may hold a secret value, and a plain hash of
  // it in D1 could be checked against guesses
  const requestHash = await sha256Hex(`${key}\n${c.req.method} ${c.req.path}\n${body}`);
  const auth = c.get("auth");
  // signup is the one anonymous POST: its record is found only with the client's key and body,
  // and its answer (the owner's key) is never stored, so a guess of both gets no credential
  const scope = auth ? callerScope(auth.teamId, auth.actor.keyId) : "public";
  const outcome = await claimIdempotencyKey(db, {
    scope,
    key,
    requestHash,
    callerRole: auth?.actor.role,
  });
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
  const secret = c.get("secretAnswer");
  // thrown AppErrors arrive here already translated (c.error is set): a final 4xx is stored like any answer
  // an answer that sets a cookie (a session) is a credential too: never stored
  if (
    !isFinal(c.res.status) ||
    (secret?.retry === "reexecute" && c.res.status < 300) ||
    c.res.headers.has("set-cookie")
  ) {
    await releaseIdempotencyKey(db, claim);
    return;
  }
  const withheld =
    secret?.retry === "withhold" && c.res.status < 300 ? withheldAnswer(c, secret) : undefined;
  const answer = withheld
    ? { status: withheld.status, body: await withheld.text() }
    : { status: c.res.status, body: await c.res.clone().text() };
  await completeIdempotencyStatement(db, claim, await sealResponse(claim, answer));
  claim.completed = true;
});

/** What a retry of a secret-bearing request gets instead of the secret: a final 409 saying why. */
function withheldAnswer(c: Context<AppEnv>, secret: Extract<SecretAnswer, { retry: "withhold" }>) {
  const err = new AppError(
    "conflict",
    `this request (same Idempotency-Key and body) was already answered, and its answer held ${secret.what}, shown only once and never stored. ${secret.hint}`,
    { retryable: false },
  );
  return problemResponse(err, {
    instance: c.req.path,
    traceId: c.get("requestId"),
    origin: new URL(c.req.url).origin,
  });
}

/**
 * Route middleware: this route's successful answer holds a secret (a credential, opened secret
 * values), so it is never kept for an idempotent replay. `reexecute`: a retry with the same key
 * runs the request again (safe where a second run only mints another short-lived credential for the
 * same caller); `withhold`: a retry gets a final 409 naming `what` was withheld and `hint`.
 */
export const answerHoldsSecret = (secret: SecretAnswer) =>
  createMiddleware<AppEnv>(async (c, next) => {
    c.set("secretAnswer", secret);
    await next();
  });
