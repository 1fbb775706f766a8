import { AmbitCore, type ClientOptions } from "./core/client.ts";
import { Agent } from "./resources/agent.ts";
import { ApiKeys } from "./resources/api-keys.ts";
import { Auth } from "./resources/auth.ts";
import { Hosts } from "./resources/hosts.ts";
import { Integrations } from "./resources/integrations.ts";
import { Stats } from "./resources/stats.ts";
import { Me } from "./resources/me.ts";
import { PublicRuns } from "./resources/public-runs.ts";
import { ServiceAccounts } from "./resources/service-accounts.ts";
import { Team } from "./resources/team.ts";
import { Teams } from "./resources/teams.ts";
import { Webhooks } from "./resources/webhooks.ts";
import { AuditLog } from "./resources/audit-log.ts";

/**
 * The Ambit API client. Reads `AMBIT_API_KEY` and `AMBIT_BASE_URL` when they are not passed.
 * A new resource is one class over the shared core, added here as a field.
 *
 * @example
 * import { Ambit } from "@ambit/sdk";
 * const client = new Ambit({ baseURL: "http://localhost:8787" });
 * const { run_id } = await client.agent.runs.create({ prompt: "Fix the flaky test" });
 * for await (const event of client.agent.runs.stream(run_id)) console.log(event.type);
 */
export class Ambit extends AmbitCore {
  readonly agent: Agent;
  readonly apiKeys: ApiKeys;
  readonly serviceAccounts: ServiceAccounts;
  readonly team: Team;
  readonly teams: Teams;
  readonly hosts: Hosts;
  readonly stats: Stats;
  readonly me: Me;
  readonly auth: Auth;
  readonly publicRuns: PublicRuns;
  readonly integrations: Integrations;
  readonly webhooks: Webhooks;
  /** The team's audit log (admins). */
  readonly auditLog: AuditLog;

  constructor(options: ClientOptions = {}) {
    super(options);
    this.agent = new Agent(this);
    this.apiKeys = new ApiKeys(this);
    this.serviceAccounts = new ServiceAccounts(this);
    this.team = new Team(this);
    this.teams = new Teams(this);
    this.hosts = new Hosts(this);
    this.stats = new Stats(this);
    this.me = new Me(this);
    this.auth = new Auth(this);
    this.publicRuns = new PublicRuns(this);
    this.integrations = new Integrations(this);
    this.webhooks = new Webhooks(this);
    this.auditLog = new AuditLog(this);
  }
}
