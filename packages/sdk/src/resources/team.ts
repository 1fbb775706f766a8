import type {
  AddMemberRequest,
  Member,
  MemberBudget,
  Role,
  SetMemberBudgetRequest,
  SetSsoConfigRequest,
  SsoConfig,
  Team as TeamInfo,
  TeamBudget,
  UpdateTeamBudgetRequest,
  UpdateTeamRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { AmbitCore, RequestOptions } from "../core/client.ts";
import { APIResource, path } from "../core/resource.ts";

export type MemberAddParams = z.input<typeof AddMemberRequest>;
export type TeamUpdateParams = z.input<typeof UpdateTeamRequest>;
export type SsoSetParams = z.input<typeof SetSsoConfigRequest>;
export type BudgetUpdateParams = z.input<typeof UpdateTeamBudgetRequest>;
export type MemberBudgetSetParams = z.input<typeof SetMemberBudgetRequest>;
export type { MemberBudget, TeamBudget };

/** `client.team.budget`: the team's budgets on model spend (docs/gateway.md "Budgets"). */
export class Budget extends APIResource {
  /**
   * The budgets, this month's spend (the team's, the caller's own runs') and when they reset,
   * and `members`: each member's spend against their budget (admins: everyone; others: their own).
   *
   * @example
   * const { monthly_usd, spent, period, members } = await client.team.budget.retrieve();
   */
  retrieve(options?: RequestOptions) {
    return this._client.get<TeamBudget>("/team/budget", options);
  }

  /**
   * Sets budgets in USD (admins); `null` removes one, an omitted one stays.
   *
   * @example
   * await client.team.budget.update({ monthly_usd: 500, member_monthly_usd: 100, run_max_cost_usd: 5 });
   */
  update(body: BudgetUpdateParams, options?: RequestOptions) {
    return this._client.patch<TeamBudget>("/team/budget", { body, ...options });
  }

  /**
   * Sets one member's (or service account's) own monthly budget in USD, in place of the team's
   * `member_monthly_usd` (admins); `null`: no monthly budget for them. Their running runs' next
   * model call is held to it.
   *
   * @example
   * const { spent_usd, percent } = await client.team.budget.setMember(uid, { monthly_usd: 50 });
   */
  setMember(uid: string, body: MemberBudgetSetParams, options?: RequestOptions) {
    return this._client.put<MemberBudget>(path`/team/budget/members/${uid}`, {
      body,
      ...options,
    });
  }

  /**
   * Removes a member's own budget (admins): the team's per-member one applies to them again.
   *
   * @example
   * await client.team.budget.clearMember(uid);
   */
  clearMember(uid: string, options?: RequestOptions) {
    return this._client.delete<MemberBudget>(path`/team/budget/members/${uid}`, options);
  }
}

/** `client.team.sso`: the team's single sign-on (admins; docs/sso.md). */
export class Sso extends APIResource {
  /**
   * The settings, never the client secret (`client_secret_set`).
   *
   * @example
   * const { issuer, redirect_uri } = await client.team.sso.retrieve();
   */
  retrieve(options?: RequestOptions) {
    return this._client.get<SsoConfig>("/team/sso", options);
  }

  /**
   * Sets them whole (omit `client_secret` to keep the stored one); the issuer's discovery is
   * checked now.
   *
   * @example
   * await client.team.sso.set({
   *   issuer: "https://accounts.google.com",
   *   client_id: "…",
   *   client_secret: "…",
   *   allowed_domains: ["example.com"],
   * });
   */
  set(body: SsoSetParams, options?: RequestOptions) {
    return this._client.put<SsoConfig>("/team/sso", { body, ...options });
  }

  /**
   * Removes single sign-on: sign-in links and key sign-in work again.
   *
   * @example
   * await client.team.sso.delete();
   */
  delete(options?: RequestOptions) {
    return this._client.delete<void>("/team/sso", options);
  }
}

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
  readonly sso: Sso;
  readonly budget: Budget;

  constructor(client: AmbitCore) {
    super(client);
    this.members = new Members(client);
    this.sso = new Sso(client);
    this.budget = new Budget(client);
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
