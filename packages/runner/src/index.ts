export * from "./backends/types.ts";
export { processBackend, baselineEnv, spawnTree } from "./backends/process.ts";
export * from "./harness/types.ts";
