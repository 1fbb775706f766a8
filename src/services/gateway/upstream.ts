import type { TaskAssignment } from "@ambit/protocol";
import { and, eq, or } from "drizzle-orm";
import { openRunSecrets } from "../../../durable-objects/host-pool/run-secrets.ts";
import { readRunRow } from "../../../durable-objects/run-session/summary.ts";
import { createDb } from "../../db/client.ts";
import { models } from "../../db/schema.ts";
import type { AttachClaims } from "../../lib/attach-token.ts";
import { AppError } from "../../lib/errors.ts";
import { authSecretOf, type GatewayProvider, PROVIDER_SECRETS } from "../../lib/model-keys.ts";
import type { BudgetCaps } from "../../lib/budgets.ts";
import { type Prices, pricesOf } from "../../lib/model-prices.ts";
import { capsFor, readTeamBudgets } from "../budgets/caps.ts";

type Config = TaskAssignment["task"]["agent_config"];

/** Where one model call goes, with what key, and what the ledger calls it. */
export type Upstream = {
  provider: GatewayProvider;
  /** as the team configures it: Anthropic's and Gemini's without a version, OpenAI's with `/v1` */
  baseUrl: string;
  key: string | undefined;
  /** the catalog id when the run's catalog model serves the call, else the model name asked for */
  modelId: string;
  /** the model name sent to the provider */
  model: string;
  prices: Prices;
  memberId: string;
  /** the budgets the call spends from (the team's, its owner's, the run's) */
  caps: BudgetCaps;
};

/**
 * Resolves a run's model call: the run's frozen catalog model when it speaks this provider's API
 * (its base URL, the secret it names), else the provider's usual secrets (`PROVIDER_SECRETS`,
 * or the one `harness_auth_secrets` names), opened for this call as the host's assignment would
 * open them (team secrets, and the creator's personal ones when the execution got them).
 * `asked`: the model the request names.
 */
export async function resolveUpstream(
  env: Env,
  claims: AttachClaims,
  provider: GatewayProvider,
  asked: string | undefined,
): Promise<Upstream> {
  const row = await readRunRow(env.DB, claims.runId, claims.teamId);
  if (!row) throw new AppError("resource_not_found", `run ${claims.runId} was not found`);
  const config = (row.agent_config ? JSON.parse(row.agent_config) : {}) as Config;
  const catalog = config.model?.provider === provider ? config.model : undefined;
  const s = PROVIDER_SECRETS[provider];
  const keyNames = catalog
    ? catalog.api_key_secret
      ? [catalog.api_key_secret]
      : []
    : [authSecretOf(config, provider), ...s.keys].filter((n): n is string => Boolean(n));
  const wanted = catalog ? keyNames : [...keyNames, s.base];
  const model = asked || catalog?.model || "";
  const [opened, priced, budgets] = await Promise.all([
    wanted.length
      ? openRunSecrets(env, claims.teamId, claims.personalOf ?? null, wanted)
      : Promise.resolve([]),
    catalogPrices(
      env,
      claims.teamId,
      catalog && (!asked || asked === catalog.model) ? catalog.id : model,
    ),
    readTeamBudgets(createDb(env.DB), claims.teamId),
  ]);
  const value = (name: string) => opened.find((x) => x.name === name)?.value || undefined;
  const key = keyNames.map(value).find(Boolean);
  if (catalog?.api_key_secret && !key)
    throw new AppError(
      "model_auth_failed",
      `the catalog model "${catalog.id}" takes its API key from the secret ${catalog.api_key_secret}, which this run does not have: add a team secret named ${catalog.api_key_secret}`,
    );
  // the operator's default endpoint (a Worker var of the same name) before the provider's own
  const platformBase = (env as unknown as Record<string, string | undefined>)[s.base];
  const baseUrl = (catalog ? catalog.base_url : value(s.base)) || platformBase || s.defaultBase;
  return {
    provider,
    baseUrl: baseUrl.trim().replace(/\/+$/, ""),
    key,
    modelId: catalog && (!asked || asked === catalog.model) ? catalog.id : model || "unknown",
    model: model || "unknown",
    prices: pricesOf(priced?.model ?? model, priced),
    memberId: row.creator_id,
    caps: capsFor(budgets, config.max_cost_usd),
  };
}

/**
 * The team catalog's prices for a model: the entry with this id, else one sending this model
 * name (a vendor CLI's `harness.model_id`); undefined when the catalog has neither.
 */
async function catalogPrices(env: Env, teamId: string, idOrModel: string) {
  if (!idOrModel) return undefined;
  const [row] = await createDb(env.DB)
    .select({
      model: models.model,
      input: models.inputPrice,
      output: models.outputPrice,
      cacheRead: models.cacheReadPrice,
      cacheWrite: models.cacheWritePrice,
    })
    .from(models)
    .where(
      and(eq(models.teamId, teamId), or(eq(models.id, idOrModel), eq(models.model, idOrModel))),
    )
    .limit(1);
  return row;
}

/**
 * The provider URL of a call, joined as the built-in harness and the CLIs join a base URL:
 * `path` is what follows the provider in the gateway's path (`/v1/messages`, `/v1/responses`,
 * `/v1beta/models/…`). An OpenAI-compatible base names its API root (`…/v1`, or any path a
 * custom server uses; a bare origin gets `/v1`); Anthropic's gets `/v1` unless it ends so;
 * Gemini's gets its version unless it ends with one.
 */
export function upstreamUrl(u: Upstream, path: string, search: string): string {
  const base = u.baseUrl;
  const version = /^\/(v1beta|v1)(?=\/|$)/.exec(path)?.[0] ?? "";
  const rest = path.slice(version.length);
  let root: string;
  if (u.provider === "openai") root = new URL(base).pathname === "/" ? `${base}/v1` : base;
  else root = base.endsWith(version) ? base : `${base.replace(/\/v1(beta)?$/, "")}${version}`;
  const q = new URLSearchParams(search);
  q.delete("key"); // Gemini's key in the query was the run credential
  const qs = q.toString();
  return `${root}${rest}${qs ? `?${qs}` : ""}`;
}
