/**
 * The API's sections, in the order a reader needs them: runs and what follows from them first,
 * then the team's shared configuration, then the team itself, and the legacy aliases last. The
 * OpenAPI document lists them in this order and `/docs` shows its sections so.
 */
export const OPENAPI_TAGS = [
  { name: "Runs", description: "Start agent runs, list and read them, cancel and share them." },
  {
    name: "Live runs",
    description: "Follow a run live, steer it with follow-ups, read its conversation.",
  },
  { name: "Artifacts", description: "What runs produced: files, pull requests, links." },
  { name: "Schedules", description: "Runs started on a cron schedule." },
  {
    name: "Integrations",
    description: "Runs started by other systems' events (signed webhooks), and their delivery log.",
  },
  {
    name: "Stats",
    description: "What a team's runs add up to over a range: counts, times, failures.",
  },
  { name: "Public links", description: "A run shared read-only with anyone who has its link." },
  { name: "Hosts", description: "The machines that execute runs, and how they connect." },
  { name: "Environments", description: "What runs start from: repositories, setup commands." },
  { name: "Secrets", description: "Values a run gets without anyone reading them back." },
  { name: "Models", description: "The team's model catalog and its default." },
  { name: "MCP servers", description: "Tool servers offered to agents." },
  { name: "Rules", description: "Instructions added to every run's prompt." },
  { name: "Saved prompts", description: "Prompts to start runs from by name." },
  { name: "Env vars", description: "Plain variables of every run." },
  { name: "Skills", description: "Skills agents may load." },
  { name: "Named agents", description: "Agents with their own name and configuration." },
  { name: "Team", description: "Signup, the team, its limits and members." },
  {
    name: "Console sign-in",
    description: "Web console sessions: sign in by a one-time link or an API key, list, sign out.",
  },
  {
    name: "API keys",
    description: "Keys for the API, the CLI, the SDKs and hosts, scoped to their job.",
  },
  {
    name: "Service accounts",
    description: "Non-human members (CI, integrations, hosts) with a role and keys of their own.",
  },
  {
    name: "Audit log",
    description: "Every write and security event of the team, hash-chained (admins).",
  },
  {
    name: "Webhooks",
    description: "Outbound webhooks: the team's events POSTed to your endpoints, signed.",
  },
  {
    name: "Platform",
    description:
      "The platform operator's own routes (the PLATFORM_ADMIN_TOKEN secret): raise one team's limits.",
  },
  { name: "Tasks (legacy)", description: "The old names of runs, kept for Oz clients." },
];
