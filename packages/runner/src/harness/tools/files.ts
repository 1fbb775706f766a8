import { lchownSync } from "node:fs";
import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { OutsideError, readInside, writeInside } from "../../backends/confined-fs.ts";
import { resolveInWorkspace } from "./paths.ts";
import { num, ok, str, ToolInputError, type Tool } from "./types.ts";

const MAX_READ = 100_000;

export const readFileTool: Tool = {
  name: "read_file",
  category: "files",
  description:
    "Read a text file of the workspace. Optional 1-based `offset` line and `limit` lines for big files.",
  inputSchema: {
    type: "object",
    properties: { path: { type: "string" }, offset: { type: "number" }, limit: { type: "number" } },
    required: ["path"],
  },
  async run(input, _call, ctx) {
    const { abs, rel } = await resolveInWorkspace(ctx.workspace, str(input, "path"));
    const text = readText(ctx.workspace, abs, rel);
    const lines = text.split("\n");
    const from = num(input, "offset", 1) - 1;
    const slice = lines.slice(from, from + num(input, "limit", lines.length)).join("\n");
    const content =
      slice.length > MAX_READ
        ? `${slice.slice(0, MAX_READ)}\n[cut at ${MAX_READ} characters; read further with offset/limit]`
        : slice;
    return ok(content, { path: rel, lines: lines.length });
  },
};

export const writeFileTool: Tool = {
  name: "write_file",
  category: "files",
  description:
    "Create or overwrite a file of the workspace with `content` (parent directories are created).",
  inputSchema: {
    type: "object",
    properties: { path: { type: "string" }, content: { type: "string" } },
    required: ["path", "content"],
  },
  async run(input, _call, ctx) {
    const { abs, rel } = await resolveInWorkspace(ctx.workspace, str(input, "path"));
    const content = str(input, "content", false);
    const first = await mkdir(path.dirname(abs), { recursive: true });
    const owner = ctx.backend.owner;
    // directories made for the agent's user (--agent-user) are its own, as if its shell had made them
    if (first && owner)
      for (let d = path.dirname(abs); d.length >= first.length; d = path.dirname(d))
        lchownSync(d, owner.uid, owner.gid);
    writeText(ctx.workspace, abs, rel, content, owner);
    return ok(`wrote ${Buffer.byteLength(content)} bytes to ${rel}`, {
      path: rel,
      bytes: Buffer.byteLength(content),
    });
  },
};

export const editFileTool: Tool = {
  name: "edit_file",
  category: "files",
  description:
    "Replace the exact text `old_string` with `new_string` in a file. `old_string` must occur exactly once unless `replace_all` is true; include enough surrounding lines to make it unique.",
  inputSchema: {
    type: "object",
    properties: {
      path: { type: "string" },
      old_string: { type: "string" },
      new_string: { type: "string" },
      replace_all: { type: "boolean" },
    },
    required: ["path", "old_string", "new_string"],
  },
  async run(input, _call, ctx) {
    const { abs, rel } = await resolveInWorkspace(ctx.workspace, str(input, "path"));
    const oldString = str(input, "old_string");
    const newString = str(input, "new_string", false);
    const text = readText(ctx.workspace, abs, rel);
    const count = text.split(oldString).length - 1;
    if (count === 0)
      throw new ToolInputError(
        `old_string was not found in ${rel}; read the file and copy the text exactly`,
      );
    if (count > 1 && input.replace_all !== true) {
      throw new ToolInputError(
        `old_string occurs ${count} times in ${rel}; add surrounding lines to make it unique or set replace_all`,
      );
    }
    writeText(
      ctx.workspace,
      abs,
      rel,
      input.replace_all === true
        ? text.split(oldString).join(newString)
        : text.replace(oldString, () => newString),
      ctx.backend.owner,
    );
    return ok(`replaced ${count} occurrence${count > 1 ? "s" : ""} in ${rel}`, {
      path: rel,
      replacements: count,
    });
  },
};

const MAX_ENTRIES = 500;

export const listDirectoryTool: Tool = {
  name: "list_directory",
  category: "files",
  description: "List the entries of a workspace directory (directories end with '/').",
  inputSchema: {
    type: "object",
    properties: { path: { type: "string", description: "defaults to the workspace root" } },
  },
  async run(input, _call, ctx) {
    const { abs, rel } = await resolveInWorkspace(ctx.workspace, str(input, "path", false) || ".");
    if (!(await stat(abs)).isDirectory()) throw new ToolInputError(`${rel} is not a directory`);
    const entries = (await readdir(abs, { withFileTypes: true }))
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .sort();
    const shownEntries = entries.slice(0, MAX_ENTRIES);
    const more =
      entries.length > MAX_ENTRIES ? `\n[${entries.length - MAX_ENTRIES} more entries]` : "";
    return ok(shownEntries.join("\n") + more, { path: rel, entries: entries.length });
  },
};

// The run's processes may swap a checked path for a link out of the workspace at any moment: the
// bytes are read and written through confined-fs, which checks what it actually opened.
function readText(workspace: string, abs: string, rel: string): string {
  try {
    return readInside(workspace, abs).bytes!.toString("utf8");
  } catch (err) {
    if (err instanceof OutsideError)
      throw new ToolInputError(`${rel} is not a regular file inside the workspace`);
    throw err;
  }
}

function writeText(
  workspace: string,
  abs: string,
  rel: string,
  content: string,
  owner?: { uid: number; gid: number },
): void {
  try {
    writeInside(workspace, abs, content, owner);
  } catch (err) {
    if (err instanceof OutsideError)
      throw new ToolInputError(`${rel} is not a regular file inside the workspace`);
    throw err;
  }
}
