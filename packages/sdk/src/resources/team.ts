import type {
  AddMemberRequest,
  Member,
  Role,
  Team as TeamInfo,
  UpdateTeamRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { AmbitCore, RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type MemberAddParams = z.input<typeof AddMemberRequest>;
export type TeamUpdateParams = z.input<typeof UpdateTeamRequest>;

/** `client.team.members`: who is on the team, with which role. */
export class Members extends APIResource {
  /**
   * @example
   * const { members } = await client.team.members.list();
   */
  list(options?: RequestOptions) {
    return this._client.get<{ members: Member[] }>("/team/members", options);
  }

  /**
   * Adds a member (admins); give them a first key with `client.apiKeys.create({ user_uid })`. That
   * key is delegated (no personal access): the member mints their own key with it, once.
   *
   * @example
   * const member = await client.team.members.add({ email: "ada@example.com", role: "member" });
   */
  add(body: MemberAddParams, options?: RequestOptions) {
    return this._client.post<Member>("/team/members", { body, ...options });
  }

  /**
   * Changes a member's role (admins).
   *
   * @example
   * await client.team.members.update(uid, { role: "viewer" });
   */
  update(uid: string, body: { role: Role }, options?: RequestOptions) {
    return this._client.patch<Member>(path`/team/members/${uid}`, { body, ...options });
  }

  /**
   * Removes a member (admins) or leaves the team (your own uid); their keys are revoked.
   *
   * @example
   * await client.team.members.remove(uid);
   */
  remove(uid: string, options?: RequestOptions) {
    return this._client.delete<void>(path`/team/members/${uid}`, options);
  }
}

/** `client.team`: the caller's team. */
export class Team extends APIResource {
  readonly members: Members;

  constructor(client: AmbitCore) {
    super(client);
    this.members = new Members(client);
  }

  /**
   * The team, its size, and who the caller is on it (uid, type, role).
   *
   * @example
   * const { name, caller } = await client.team.retrieve();
   */
  retrieve(options?: RequestOptions) {
    return this._client.get<TeamInfo>("/team", options);
  }

  /**
   * Renames the team or changes its limits (admins); omitted limits stay as they are.
   *
   * @example
   * const { limits } = await client.team.update({ limits: { max_concurrent_runs: 4, max_run_time_seconds: 4 * 3600 } });
   */
  update(body: TeamUpdateParams, options?: RequestOptions) {
    return this._client.patch<TeamInfo>("/team", { body, ...options });
  }
}
