import type { Role, TeamAccess } from "@ambit/protocol";
import type { runs } from "../db/schema.ts";
import { roleAtLeast } from "./roles.ts";

// The rule of who sees and steers a run, pure, so the Worker's services (`services/runs/sharing.ts`)
// and the run's session (checking each steering frame against D1) apply the very same one.

export type RunSharingRow = Pick<typeof runs.$inferSelect, "creatorId" | "scope" | "shareTeam" | "agentConfig">;

/** Teammates' access to the run: its stored sharing, else its scope's default (Team EDITOR, User NONE). */
export const teamAccessOf = (row: Pick<RunSharingRow, "shareTeam" | "scope">): TeamAccess => row.shareTeam ?? (row.scope === "Team" ? "EDITOR" : "NONE");

const ozEditor = (row: RunSharingRow) =>
  (row.agentConfig as { session_sharing?: { public_access?: string } } | null)?.session_sharing?.public_access === "EDITOR";

/** Whether a teammate sees the run at all (the rule `sharing.ts` `visibleTo` puts in SQL). */
export const canSee = (row: RunSharingRow, actorId: string) => row.scope === "Team" || row.creatorId === actorId || teamAccessOf(row) !== "NONE";

/** A caller's access to a run they can see. */
export function accessOf(row: RunSharingRow, actor: { id: string; role: Role }): "EDITOR" | "VIEWER" {
  const level = row.creatorId === actor.id ? "EDITOR" : teamAccessOf(row);
  return level === "EDITOR" && (roleAtLeast(actor.role, "member") || ozEditor(row)) ? "EDITOR" : "VIEWER";
}
