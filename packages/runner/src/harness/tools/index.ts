import { askUserTool } from "./ask-user.ts";
import { editFileTool, listDirectoryTool, readFileTool, writeFileTool } from "./files.ts";
import { searchTool } from "./search.ts";
import { shellTool } from "./shell.ts";
import type { Tool } from "./types.ts";

/** The `ambit` harness's own tools; MCP servers add theirs next to these. */
export const BUILTIN_TOOLS: Tool[] = [
  shellTool,
  readFileTool,
  writeFileTool,
  editFileTool,
  listDirectoryTool,
  searchTool,
  askUserTool,
];

export type { Tool, ToolOutcome } from "./types.ts";
