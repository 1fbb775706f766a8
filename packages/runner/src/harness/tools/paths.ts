import { realpath } from "node:fs/promises";
import path from "node:path";
import { ToolInputError } from "./types.ts";

/**
 * Resolves a path the model gave (relative to the workspace, or absolute inside it) and refuses
 * anything outside the workspace, symlinks included: the nearest existing ancestor is resolved
 * with realpath so `link -> /etc` cannot be used to escape.
 */
export async function resolveInWorkspace(
  workspace: string,
  given: string,
): Promise<{ abs: string; rel: string }> {
  const root = await realpath(workspace);
  const target = path.resolve(root, given || ".");
  let existing = target;
  let rest = "";
  for (;;) {
    try {
      existing = await realpath(existing);
      break;
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) break;
      rest = path.join(path.basename(existing), rest);
      existing = parent;
    }
  }
  const real = path.join(existing, rest);
  if (real !== root && !real.startsWith(root + path.sep)) {
    throw new ToolInputError(
      `${given} is outside the workspace (${root}); only paths inside it can be used`,
    );
  }
  return { abs: real, rel: path.relative(root, real) || "." };
}
