import type { WebSession } from "@ambit/protocol";
import type { AmbitCore, RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

/** `client.auth.sessions`: the caller's own web console sessions. */
export class Sessions extends APIResource {
  /**
   * The caller's live web sessions (never their tokens); `current` marks this request's own.
   *
   * @example
   * const { sessions } = await client.auth.sessions.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ sessions: WebSession[] }>("/auth/sessions", options);
  }

  /**
   * Ends one of the caller's sessions, and the live connections it opened.
   *
   * @example
   * await client.auth.sessions.delete(uid);
   */
  delete(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/auth/sessions/${uid}`, options);
  }
}

/** `client.auth`: signing in to the web console (the sessions it opened). */
export class Auth extends APIResource {
  readonly sessions: Sessions;

  constructor(client: AmbitCore) {
    super(client);
    this.sessions = new Sessions(client);
  }
}
