// The console's one client: the public API through @ambit/sdk, with no key. The browser sends the
// session cookie along (same origin), so whatever the console does, an API key could do too.
import type { Me } from "@ambit/protocol";
import { Ambit, APIError } from "@ambit/sdk";

export const client = new Ambit({ apiKey: null, baseURL: window.location.origin, maxRetries: 1 });

export type { Me };

/** Who is signed in (`GET /api/v1/me`). */
export const fetchMe = async () => client.me.retrieve();

/** A role that may start and steer runs (the API checks again). */
export const canWrite = (me: Me | undefined) => !!me && me.role !== "viewer";

export const isUnauthorized = (err: unknown) => err instanceof APIError && err.status === 401;

/** Where the sign-in page sends you back to: the current path with its query. */
export function signInHref(next = window.location.pathname + window.location.search): string {
  return next.startsWith("/sign-in") ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`;
}

/** A problem's human text: its detail when the API gave one. */
export function problemText(err: unknown): string {
  if (err instanceof APIError) {
    const text = err.detail ?? err.title ?? err.message;
    // the fields that failed validation, unless the detail already names them
    const fields = err.errors
      ?.map((e) => `${e.path}: ${e.message}`)
      .filter((f) => !text.includes(f));
    return fields?.length ? `${text} — ${fields.join("; ")}` : text;
  }
  return err instanceof Error ? err.message : String(err);
}
