import type {
  AgentListQuery,
  AgentSkill,
  RegisterSkillRequest,
  RegisterSkillResponse,
  UpdateSkillRequest,
} from "@ambit/protocol";
import type { z } from "zod";
import type { RequestOptions } from "../core/client.ts";
import { APIResource } from "../core/resource.ts";

export type SkillListParams = Partial<z.input<typeof AgentListQuery>>;
export type SkillRegisterParams = z.input<typeof RegisterSkillRequest>;
export type RegisteredSkill = z.infer<typeof RegisterSkillResponse>;
export type SkillUpdateParams = z.input<typeof UpdateSkillRequest>;

/** `client.agent.skills`: `SKILL.md` files found in the team's repositories, run with `runs.create({ skill })`. */
export class Skills extends APIResource {
  /**
   * Skills grouped by name, each with its variants (Oz `GET /agent`).
   *
   * @example
   * const { agents } = await client.agent.skills.list({ repo: "acme/api" });
   */
  list(query: SkillListParams = {}, options?: RequestOptions) {
    return this._client.get<{ agents: AgentSkill[] }>("/agent", { ...options, query });
  }

  /**
   * Registers a `SKILL.md` (members); `error` says why it could not be read, if so.
   *
   * @example
   * const { id } = await client.agent.skills.register({ repo: "acme/api", skill_path: ".claude/skills/review/SKILL.md", content });
   */
  register(body: SkillRegisterParams, options?: RequestOptions) {
    return this._client.post<RegisteredSkill>("/agent/skills", { body, ...options });
  }

  /**
   * Changes a registered skill in place (members): its `SKILL.md` text, its host pool, or both.
   *
   * @example
   * await client.agent.skills.update("acme/api:.claude/skills/review/SKILL.md", { content });
   */
  update(id: string, body: SkillUpdateParams, options?: RequestOptions) {
    const opts = { body, ...options, query: { id } };
    return this._client.patch<RegisteredSkill>("/agent/skills", opts);
  }

  /**
   * Removes a registered skill by id (`owner/repo:path`).
   *
   * @example
   * await client.agent.skills.delete("acme/api:.claude/skills/review/SKILL.md");
   */
  delete(id: string, options?: RequestOptions) {
    return this._client.delete<void>("/agent/skills", { ...options, query: { id } });
  }
}
