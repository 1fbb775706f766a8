// Every configuration collection, in the order the settings index lists them.
import type { Resource } from "../resource.ts";
import { environments } from "./environments.ts";
import { envVars } from "./env-vars.ts";
import { identities } from "./identities.ts";
import { mcpServers } from "./mcp-servers.ts";
import { models } from "./models.ts";
import { prompts } from "./prompts.ts";
import { rules } from "./rules.ts";
import { secrets } from "./secrets.ts";
import { skills } from "./skills.ts";

// biome-ignore lint/suspicious/noExplicitAny: each declaration has its own item type
export const RESOURCES: Resource<any>[] = [
  environments,
  secrets,
  models,
  mcpServers,
  rules,
  prompts,
  envVars,
  identities,
  skills,
];

export const resourceBySlug = (slug: string) => RESOURCES.find((r) => r.slug === slug);
