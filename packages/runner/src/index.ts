export * from "./backends/types.ts";
export { processBackend, baselineEnv, spawnTree } from "./backends/process.ts";
export { dockerBackend, dockerAvailable } from "./backends/docker.ts";
export * from "./harness/types.ts";
export { startHost, RUNNER_VERSION, type Host, type HostOptions } from "./host.ts";
export { Redactor, redactionOf } from "./pipeline/redact.ts";
export { EventPipeline } from "./pipeline/events.ts";
export { prepareRun, runEnv } from "./run/prepare.ts";
