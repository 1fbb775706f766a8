import { z } from "zod";

export const AgentListVariant = z.object({
  id: z.string().describe("`{owner}/{repo}:{skill_path}`"),
  description: z.string(),
  base_prompt: z.string(),
  source: z.object({
    owner: z.string(),
    name: z.string(),
    skill_path: z.string(),
    worker_host: z.string().optional(),
  }),
  environments: z.array(z.object({ uid: z.string(), name: z.string() })),
  last_run_timestamp: z.string().nullable().optional(),
  error: z
    .string()
    .optional()
    .describe("why SKILL.md could not be read (only with include_malformed_skills)"),
});

/** Oz `AgentSkill` (`GET /agent`): one skill name and its variants. */
export const AgentSkill = z.object({ name: z.string(), variants: z.array(AgentListVariant) });
export type AgentSkill = z.infer<typeof AgentSkill>;
export const AgentListResponse = z.object({ agents: z.array(AgentSkill) });

export const AgentListQuery = z.object({
  repo: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+$/, "repo is 'owner/repo'")
    .optional(),
  refresh: z
    .stringbool()
    .optional()
    .describe("accepted for compatibility; the list is always current"),
  sort_by: z.enum(["name", "last_run"]).default("name"),
  include_malformed_skills: z.stringbool().default(false),
});

/** Body of `POST /agent/skills`: a `SKILL.md` found in a repository (by a host or a person). */
export const RegisterSkillRequest = z.object({
  repo: z.string().regex(/^[^/\s]+\/[^/\s]+$/, "repo is 'owner/repo'"),
  skill_path: z
    .string()
    .min(1)
    .max(500)
    .regex(/(^|\/)SKILL\.md$/, "skill_path ends with SKILL.md"),
  content: z
    .string()
    .min(1)
    .max(100_000)
    .describe("the SKILL.md text, with `name` and `description` in its YAML front matter"),
  worker_host: z.string().min(1).max(200).optional(),
});
export type RegisterSkillRequest = z.infer<typeof RegisterSkillRequest>;
export const RegisterSkillResponse = z.object({
  id: z.string(),
  name: z.string().nullable(),
  error: z.string().nullable(),
});
export const SkillIdQuery = z.object({ id: z.string().min(1).max(600) });

/** Body of `PATCH /agent/skills?id=`: a registered skill's text or host pool, changed in place. */
export const UpdateSkillRequest = z
  .object({
    content: RegisterSkillRequest.shape.content.optional(),
    worker_host: z
      .string()
      .min(1)
      .max(200)
      .nullable()
      .optional()
      .describe("the host pool that reads its repository; null clears it"),
  })
  .refine((v) => v.content !== undefined || v.worker_host !== undefined, {
    message: "send content, worker_host or both",
    path: ["content"],
  });
export type UpdateSkillRequest = z.infer<typeof UpdateSkillRequest>;
