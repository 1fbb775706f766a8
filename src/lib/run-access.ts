import type { Role, TeamAccess } from "@ambit/protocol";
import type { runs } from "../db/schema.ts";
import { roleAtLeast } from "./roles.ts";

// The rule of who sees and steers a run, pure, so the Worker's services (`services/runs/sharing.ts`)
// and the run's session (checking each steering frame against D1) apply the very same one.

export type RunSharingRow = Pick<
  typeof runs.$inferSelect,
  "creatorId" | "scope" | "shareTeam" | "agentConfig"
>;

/** Teammates' access to the run: its stored sharing, else its scope's default (Team EDITOR, User NONE). */
export const teamAccessOf = (row: Pick<RunSharingRow, "shareTeam" | "scope">): TeamAccess =>
  row.shareTeam ?? (row.scope === "Team" ? "EDITOR" : "NONE");

const ozEditor = (row: RunSharingRow) =>
  (row.agentConfig as { session_sharing?: { public_access?: string } } | null)?.session_sharing
    ?.public_access === "EDITOR";

/**
 * Who acts as the run's creator: the creator through a key of their own. A key someone else minted
 * for them (`personal: false`, see `ownPersonal` in services/context.ts) is just a teammate's.
 */
export type RunCaller = { id: string; role: Role; personal: boolean };
const isCreator = (row: RunSharingRow, caller: Pick<RunCaller, "id" | "personal">) =>
  caller.personal && row.creatorId === caller.id;

/** Whether a teammate sees the run at all (the rule `sharing.ts` `visibleTo` puts in SQL). */
export const canSee = (row: RunSharingRow, caller: Pick<RunCaller, "id" | "personal">) =>
  row.scope === "Team" || isCreator(row, caller) || teamAccessOf(row) !== "NONE";

/** A caller's access to a run they can see. */
export function accessOf(row: RunSharingRow, caller: RunCaller): "EDITOR" | "VIEWER" {
  const level = isCreator(row, caller) ? "EDITOR" : teamAccessOf(row);
  return level === "EDITOR" && (roleAtLeast(caller.role, "member") || ozEditor(row))
    ? "EDITOR"
    : "VIEWER";
}
