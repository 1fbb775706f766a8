export * from "./backends/types.ts";
export { processBackend, baselineEnv, spawnTree } from "./backends/process.ts";
export * from "./harness/types.ts";
export { createHarness, HARNESS_TYPES } from "./harness/index.ts";
