import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

/** What `ambit login` stores. */
export type StoredConfig = { base_url?: string; api_key?: string };

export const DEFAULT_BASE_URL = "http://localhost:8787";

/** `$XDG_CONFIG_HOME/ambit/config.json`, else `~/.config/ambit/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
  return path.join(base, "ambit", "config.json");
}

export function readConfig(file = configPath()): StoredConfig {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as StoredConfig;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new Error(
      `cannot read ${file}: ${(err as Error).message}; fix or delete it, then run \`ambit login\``,
    );
  }
}

/** Writes the config readable by its owner only (the file holds an API key). */
export function writeConfig(config: StoredConfig, file = configPath()) {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode on write
}

/** Where the client's settings come from: the environment overrides the stored config. */
export type Resolved = {
  baseURL: string;
  apiKey?: string;
  keySource: "AMBIT_API_KEY" | "config" | "none";
  urlSource: "AMBIT_BASE_URL" | "config" | "default";
};

export function resolveSettings(env: NodeJS.ProcessEnv = process.env): Resolved {
  const stored = readConfig(configPath(env));
  const baseURL = env.AMBIT_BASE_URL || stored.base_url || DEFAULT_BASE_URL;
  const urlSource = env.AMBIT_BASE_URL ? "AMBIT_BASE_URL" : stored.base_url ? "config" : "default";
  const apiKey = env.AMBIT_API_KEY || stored.api_key;
  const keySource = env.AMBIT_API_KEY ? "AMBIT_API_KEY" : stored.api_key ? "config" : "none";
  return { baseURL, apiKey, keySource, urlSource };
}
