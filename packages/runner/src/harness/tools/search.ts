import { runStreamed } from "./shell.ts";
import { resolveInWorkspace } from "./paths.ts";
import { num, ok, str, tail, ToolInputError, type Tool } from "./types.ts";

/** `grep -rnIE` in the run's backend: line-numbered matches of a regular expression. */
export const searchTool: Tool = {
  name: "search",
  category: "search",
  description:
    "Search file contents of the workspace for an extended regular expression (grep -rnIE). Returns `path:line:text` matches; `path` narrows the search, `include` filters file names (e.g. '*.ts').",
  inputSchema: {
    type: "object",
    properties: {
      pattern: { type: "string" },
      path: { type: "string" },
      include: { type: "string" },
      max_results: { type: "number" },
    },
    required: ["pattern"],
  },
  async run(input, _call, ctx) {
    const pattern = str(input, "pattern");
    const { rel } = await resolveInWorkspace(ctx.workspace, str(input, "path", false) || ".");
    const include = str(input, "include", false);
    const max = Math.min(num(input, "max_results", 200), 2000);
    const args = [
      "-rnIE",
      "--exclude-dir=.git",
      "--exclude-dir=node_modules",
      ...(include ? [`--include=${include}`] : []),
      "-e",
      pattern,
      "--",
      rel,
    ];
    const { output, status } = await runStreamed(ctx, "grep", args, {
      quiet: true,
      timeoutMs: 60_000,
    });
    if (status.exitCode === 1) return ok("no matches", { matches: 0 });
    if (status.exitCode !== 0)
      throw new ToolInputError(`grep failed (exit ${status.exitCode}): ${tail(output, 1000)}`);
    const lines = output
      .split("\n")
      .filter(Boolean)
      .map((l) => l.replace(/^\.\//, ""));
    const more =
      lines.length > max ? `\n[${lines.length - max} more matches; narrow the search]` : "";
    return ok(lines.slice(0, max).join("\n") + more, { matches: lines.length });
  },
};
