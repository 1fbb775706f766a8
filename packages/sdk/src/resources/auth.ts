import type {
  DeviceCodeResponse,
  DeviceLogin,
  DeviceTokenResponse,
  WebSession,
} from "@ambit/protocol";
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

/**
 * `client.auth.device`: `ambit login --web`. The first two calls need no key (a client made with
 * `apiKey: null`); approving is done by a signed-in person.
 */
export class Device extends APIResource {
  /**
   * A code pair: show `user_code`, open `verification_uri_complete`, poll with `device_code`.
   *
   * @example
   * const pair = await new Ambit({ apiKey: null }).auth.device.code({ client_name: "laptop" });
   */
  code(body: { client_name: string }, options?: RequestOptions) {
    return this._client.post<DeviceCodeResponse>("/auth/device/code", { body, ...options });
  }

  /**
   * One poll: `authorization_pending`, `slow_down` (wait longer), `access_denied`,
   * `expired_token`, or `approved` with the API key (once).
   *
   * @example
   * const answer = await client.auth.device.poll({ device_code: pair.device_code });
   */
  poll(body: { device_code: string }, options?: RequestOptions) {
    return this._client.post<DeviceTokenResponse>("/auth/device/token", { body, ...options });
  }

  /**
   * Which machine waits for this user code (a signed-in person).
   *
   * @example
   * const { client_name } = await client.auth.device.retrieve("WDJB-MJHT");
   */
  retrieve(userCode: string, options?: RequestOptions) {
    return this._client.get<DeviceLogin>(path`/auth/device/${userCode}`, options);
  }

  /**
   * Approves (mints the caller a key named after the machine) or denies a waiting CLI sign-in.
   *
   * @example
   * await client.auth.device.decide("WDJB-MJHT", { approve: true });
   */
  decide(userCode: string, body: { approve: boolean }, options?: RequestOptions) {
    return this._client.post<DeviceLogin>(path`/auth/device/${userCode}`, { body, ...options });
  }
}

/** `client.auth`: the web console's sessions, and the CLI's web login. */
export class Auth extends APIResource {
  readonly sessions: Sessions;
  readonly device: Device;

  constructor(client: AmbitCore) {
    super(client);
    this.sessions = new Sessions(client);
    this.device = new Device(client);
  }
}
