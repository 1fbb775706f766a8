import { z } from "zod";

// Per-run sharing (an Ambit extension of Oz's runs): who besides the run's creator may see and
// steer it. The CLI's `--share team|team:edit|public:view` builds these.

/** What the creator's teammates get: nothing (personal runs' default), watch, or watch and steer (team runs' default). */
export const TeamAccess = z.enum(["NONE", "VIEWER", "EDITOR"]);
export type TeamAccess = z.infer<typeof TeamAccess>;

const PUBLIC_EDIT_REFUSED =
  "public is NONE or VIEWER: a public link is read-only, because anyone holding it would steer an agent that runs with your secrets; " +
  "to let teammates steer, set team to EDITOR (--share team:edit)";

/** What anyone holding the run's public link gets (no API key): nothing, or watch the run. */
export const PublicAccess = z.enum(["NONE", "VIEWER"], { error: PUBLIC_EDIT_REFUSED });
export type PublicAccess = z.infer<typeof PublicAccess>;

const onlyTeamAndPublic = {
  error: (issue: { code?: string }) =>
    issue.code === "unrecognized_keys"
      ? "sharing takes only team and public; sharing with individual people (email) is not supported yet"
      : undefined,
};

/** `sharing` of `POST /agent/runs`: each part defaults from the run's scope and Oz's `config.session_sharing`. */
export const RunSharingRequest = z.strictObject(
  { team: TeamAccess.optional(), public: PublicAccess.optional() },
  onlyTeamAndPublic,
);
export type RunSharingRequest = z.infer<typeof RunSharingRequest>;

/** Body of `PATCH /agent/runs/{id}/sharing`: the parts to change. */
export const UpdateRunSharingRequest = RunSharingRequest.refine(
  (v) => v.team !== undefined || v.public !== undefined,
  {
    message: "give team and/or public",
  },
);
export type UpdateRunSharingRequest = z.infer<typeof UpdateRunSharingRequest>;

/** A run's sharing as it is now (`RunItem.sharing`). */
export const RunSharing = z.object({
  team: TeamAccess,
  public: PublicAccess,
  public_url: z
    .string()
    .optional()
    .describe(
      "with public VIEWER: the read-only link (GET it without an API key); setting public to NONE revokes it",
    ),
  public_events_url: z
    .string()
    .optional()
    .describe(
      "the link's live events (Server-Sent Events with Accept: text/event-stream, else JSON pages)",
    ),
  public_session_url: z
    .string()
    .optional()
    .describe("the link's live session (websocket, read-only)"),
});
export type RunSharing = z.infer<typeof RunSharing>;
