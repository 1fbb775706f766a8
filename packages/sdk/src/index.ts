export { Ambit, Ambit as default } from "./client.ts";
export {
  AmbitCore,
  apiBaseOf,
  type ClientOptions,
  type Fetch,
  type RequestOptions,
} from "./core/client.ts";
export { APIPromise, type WithResponse } from "./core/api-promise.ts";
export { PagePromise } from "./core/pagination.ts";
export { APIResource } from "./core/resource.ts";
export {
  RunStream,
  StreamDisconnected,
  type RunStreamOptions,
  type StreamTransport,
} from "./core/run-stream.ts";
export * from "./core/errors.ts";
export type * from "./resources/runs.ts";
export type * from "./resources/api-keys.ts";
export type * from "./resources/service-accounts.ts";
export type * from "./resources/team.ts";
export type * from "./resources/hosts.ts";
export type * from "./resources/stats.ts";
export type * from "./resources/schedules.ts";
export type * from "./resources/integrations.ts";
export type * from "./resources/environments.ts";
export type * from "./resources/secrets.ts";
export type * from "./resources/models.ts";
export type * from "./resources/mcp-servers.ts";
export type * from "./resources/rules.ts";
export type * from "./resources/prompts.ts";
export type * from "./resources/env-vars.ts";
export type * from "./resources/identities.ts";
export type * from "./resources/skills.ts";
export type * from "./resources/artifacts.ts";
export type * from "./resources/me.ts";
export type * from "./resources/auth.ts";
export type * from "./resources/webhooks.ts";
export type * from "./resources/audit-log.ts";
export type {
  DeviceCodeResponse,
  DeviceLogin,
  DeviceTokenResponse,
  SsoConfig,
  AccessLevel,
  AgentResponse,
  AgentSkill,
  CloudEnvironment,
  CloudEnvironmentConfig,
  EnvVar,
  ListModelsResponse,
  McpServer,
  ModelInfo,
  Rule,
  SavedPrompt,
  Secret,
  SecretScope,
  SecretType,
  TeamLimits,
  ApiKey,
  KeyScope,
  ServiceAccount,
  ArtifactItem,
  CreateTeamRequest,
  CreateTeamResponse,
  HostInfo,
  ListRunsResponse,
  Member,
  PageInfo,
  Problem,
  Role,
  RunAgentRequest,
  RunAgentResponse,
  RunEvent,
  RunItem,
  RequestUsage,
  InferenceUsageDetail,
  InferenceCostBreakdownUsd,
  ChargedUsageDetail,
  ModelPrices,
  RunSharing,
  PublicAccess,
  TeamAccess,
  RunSourceType,
  RunState,
  RunStatusMessage,
  ServerFrame,
  Team as TeamInfo,
  Me as MeInfo,
  WebSession,
} from "@ambit/protocol";
