export { Ambit, Ambit as default } from "./client.ts";
export { AmbitCore, apiBaseOf, type ClientOptions, type Fetch, type RequestOptions } from "./core/client.ts";
export { APIPromise, type WithResponse } from "./core/api-promise.ts";
export { PagePromise } from "./core/pagination.ts";
export { APIResource } from "./core/resource.ts";
export { RunStream, StreamDisconnected, type RunStreamOptions, type StreamTransport } from "./core/run-stream.ts";
export * from "./core/errors.ts";
export type * from "./resources/runs.ts";
export type * from "./resources/api-keys.ts";
export type * from "./resources/team.ts";
export type * from "./resources/hosts.ts";
export type * from "./resources/schedules.ts";
export type {
  AccessLevel,
  ApiKey,
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
  RunSourceType,
  RunState,
  RunStatusMessage,
  ServerFrame,
  Team as TeamInfo,
} from "@ambit/protocol";
