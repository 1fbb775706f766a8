import { agentRoutes } from "./agents.ts";
import { environmentRoutes } from "./environments.ts";
import { newRouter } from "./ctx.ts";
import { modelRoutes } from "./models.ts";
import { secretRoutes } from "./secrets.ts";
import { teamConfigRoutes } from "./team-config.ts";

/** Shared configuration (environments, secrets, models, MCP servers, rules, prompts, env vars, named agents, skills). */
export const configRoutes = newRouter()
  .route("/", secretRoutes)
  .route("/", environmentRoutes)
  .route("/", modelRoutes)
  .route("/", teamConfigRoutes)
  .route("/", agentRoutes);
