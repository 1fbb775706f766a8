import type {
  AccessLevel,
  AmbientAgentConfig,
  RunAgentRequest,
  RunSharing,
  TeamAccess,
} from "@ambit/protocol";
import { eq, inArray, or } from "drizzle-orm";
import { runs } from "../../db/schema.ts";
import { AppError } from "../../lib/errors.ts";
import { accessOf, teamAccessOf } from "../../lib/run-access.ts";
import { actsPersonallyAs, type Ctx, ownPersonal } from "../context.ts";
import type { RunRow } from "./run-item.ts";

// The one place that decides who sees and steers a run. Lists, gets, attach, follow-ups, cancel
// and the public link all ask here:
// - the creator sees their run; they steer it while their role is `member` or higher (the creator
//   through a key of their own: one someone else minted for them counts as a teammate's, context.ts);
// - teammates get the run's team access: NONE (not found), VIEWER (watch) or EDITOR (members and
//   above steer; a viewer-role key only watches — unless the run's Oz `session_sharing.public_access`
//   is EDITOR, Oz's "anyone who can open it steers", which lets every teammate steer);
// - anyone holding the public link (no key) watches that one run, read-only.

export { teamAccessOf };

/** Runs the caller may see: team runs, their own, and personal runs shared with the team. */
export const visibleTo = (ctx: Ctx) => {
  const own = ownPersonal(ctx);
  return or(
    eq(runs.scope, "Team"),
    own === undefined ? undefined : eq(runs.creatorId, own),
    inArray(runs.shareTeam, ["VIEWER", "EDITOR"]),
  );
};

/** A caller's access to a run they can see (`visibleTo`); the rule itself is `lib/run-access.ts`. */
export function accessFor(ctx: Ctx, row: RunRow): Exclude<AccessLevel, "HOST"> {
  const access = accessOf(row, {
    id: ctx.actor.id,
    role: ctx.actor.role,
    personal: ownPersonal(ctx) !== undefined,
  });
  // a key minted to read runs watches them: steering (a socket's follow-ups) is `runs:write`
  const scopes = ctx.actor.type === "system" ? undefined : ctx.actor.scopes;
  return access === "EDITOR" && scopes && !scopes.includes("runs:write") ? "VIEWER" : access;
}

/** Throws `not_authorized` unless the caller may steer the run (follow-ups, cancel). */
export function requireEditor(ctx: Ctx, row: RunRow, action: string): void {
  if (accessFor(ctx, row) === "EDITOR") return;
  const why =
    !actsPersonallyAs(ctx, row.creatorId) && teamAccessOf(row) !== "EDITOR"
      ? "this run is shared with the team to watch only; its creator can share it for editing (ambit run share <id> team:edit)"
      : `this API key acts as '${ctx.actor.role}'; steering needs the 'member' role or higher`;
  throw new AppError("not_authorized", `${action} needs EDITOR access to the run: ${why}`);
}

/** The links of a run's public share. */
export function publicLinks(baseUrl: string, shareId: string) {
  const url = `${baseUrl}/api/v1/public/runs/${shareId}`;
  return {
    public_url: url,
    public_events_url: `${url}/events`,
    public_session_url: `${url.replace(/^http/, "ws")}/session`,
  };
}

/** `RunItem.sharing`: the run's sharing as it is now. */
export function sharingOf(row: RunRow, baseUrl: string): RunSharing {
  return {
    team: teamAccessOf(row),
    public: row.sharePublicId ? "VIEWER" : "NONE",
    ...(row.sharePublicId ? publicLinks(baseUrl, row.sharePublicId) : {}),
  };
}

/** An unguessable public share id (256 random bits, base64url). */
export function newShareId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

const TEAM_RUN_NONE =
  "a team run is visible to the whole team, so team cannot be NONE; create the run with team: false (--personal) to keep it to yourself";

/**
 * A new run's sharing: the request's `sharing`, else what Oz's `session_sharing.public_access` of
 * its resolved configuration means (VIEWER: a public link; EDITOR: teammates steer), else the
 * scope's default. A request that says both, differently, is refused.
 */
export function resolveSharing(
  req: RunAgentRequest,
  scope: RunRow["scope"],
  config: AmbientAgentConfig,
): { shareTeam: TeamAccess; publicLink: boolean } {
  const asked = req.sharing ?? {};
  const ozAsked = req.config?.session_sharing?.public_access;
  const conflict = (path: string, message: string) =>
    new AppError("invalid_request", message, { errors: [{ path, message }] });
  if (ozAsked === "VIEWER" && asked.public === "NONE") {
    throw conflict(
      "sharing.public",
      "config.session_sharing.public_access VIEWER asks for a public link and sharing.public NONE refuses one; give only one of them",
    );
  }
  if (ozAsked === "EDITOR" && asked.team && asked.team !== "EDITOR") {
    throw conflict(
      "sharing.team",
      `config.session_sharing.public_access EDITOR lets teammates steer and sharing.team ${asked.team} does not; give only one of them`,
    );
  }
  const oz = config.session_sharing?.public_access;
  const shareTeam = asked.team ?? (oz === "EDITOR" || scope === "Team" ? "EDITOR" : "NONE");
  assertTeamAccessFits(scope, shareTeam, "sharing.team");
  return {
    shareTeam,
    publicLink: (asked.public ?? (oz === "VIEWER" ? "VIEWER" : "NONE")) === "VIEWER",
  };
}

/** Refuses a team run without team access (see `resolveSharing`). */
export function assertTeamAccessFits(scope: RunRow["scope"], team: TeamAccess, path = "team") {
  if (scope === "Team" && team === "NONE")
    throw new AppError("invalid_request", TEAM_RUN_NONE, {
      errors: [{ path, message: TEAM_RUN_NONE }],
    });
}
