export * from "./agent-config.ts";
export * from "./common.ts";
export * from "./errors.ts";
export * from "./runs.ts";
export * from "./teams.ts";
export * from "./events.ts";
export * from "./session.ts";
export * from "./hosts.ts";
