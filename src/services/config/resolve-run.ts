import type { AmbientAgentConfig } from "@ambit/protocol";
import { AppError } from "../../lib/errors.ts";
import { type Ctx, ownPersonal } from "../context.ts";
import { resolveConfig } from "./resolve.ts";
import { personalSecretNames } from "./secrets.ts";
import { loadTeamConfig } from "./team-config.ts";

/**
 * Resolves a new run's configuration for `ctx`'s team (see `resolveConfig`) and checks every
 * reference, answering 400 `invalid_request` naming each one that does not exist. Secret names
 * may be team secrets or personal secrets of the run's creator (the caller, through a key of their own).
 */
export async function resolveRunConfig(
  ctx: Ctx,
  input: {
    config?: AmbientAgentConfig;
    prompt: string;
    savedPrompt?: string;
    agentIdentityUid?: string;
    trigger?: AmbientAgentConfig;
  },
) {
  // the version read with the API key: nothing in a run creation writes configuration before this
  const team = await loadTeamConfig(ctx, ctx.configVersion);
  // the platform itself has no personal secrets to hold back
  const creator =
    ctx.actor.type === "system" ? undefined : { id: ctx.actor.id, role: ctx.actor.role };
  const resolved = resolveConfig({
    run: input.config ?? {},
    prompt: input.prompt,
    savedPrompt: input.savedPrompt,
    agentIdentityUid: input.agentIdentityUid,
    trigger: input.trigger,
    team,
    creator,
  });
  const errors = [...resolved.errors];
  let missing = (resolved.config.secret_names ?? []).filter(
    (n) => !team.teamSecretNames.includes(n),
  );
  const own = ownPersonal(ctx);
  if (missing.length && own !== undefined) {
    const personal = await personalSecretNames(ctx, own);
    missing = missing.filter((n) => !personal.includes(n));
  }
  for (const name of missing) {
    errors.push({
      path: "secrets",
      message: `secret '${name}' is named by this run's configuration but is neither a team secret nor one of your personal secrets (create it with POST /api/v1/agent/secrets)`,
    });
  }
  if (errors.length) {
    const summary = errors
      .slice(0, 3)
      .map((e) => e.message)
      .join("; ");
    throw new AppError(
      "invalid_request",
      `The run refers to configuration that does not exist: ${summary}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ""}`,
      { errors },
    );
  }
  return { config: resolved.config, prompt: resolved.prompt };
}
