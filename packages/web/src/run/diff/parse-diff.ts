// A unified diff (git's, or any `--- / +++ / @@` one) read into files, hunks and numbered lines,
// for the diff viewer. Lines outside every file (a note such as the runner's "truncated") are kept
// as notes; a binary change is a file without hunks.

export type DiffLine =
  | { kind: "add"; text: string; newNo: number }
  | { kind: "del"; text: string; oldNo: number }
  | { kind: "ctx"; text: string; oldNo: number; newNo: number }
  /** `\ No newline at end of file` */
  | { kind: "note"; text: string };

export type DiffHunk = { header: string; lines: DiffLine[] };

export type DiffFile = {
  oldPath: string | null;
  newPath: string | null;
  status: "added" | "deleted" | "renamed" | "modified";
  binary: boolean;
  hunks: DiffHunk[];
  additions: number;
  deletions: number;
};

export type ParsedDiff = { files: DiffFile[]; notes: string[] };

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** `a/x` → `x`; `/dev/null` → null; a quoted C-style path is unquoted. */
function pathOf(raw: string): string | null {
  let p = raw.replace(/\t.*$/, "").trim();
  if (p.startsWith('"') && p.endsWith('"')) p = unquote(p.slice(1, -1));
  if (p === "/dev/null") return null;
  return p.replace(/^[ab]\//, "");
}

function unquote(s: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "\\") {
      bytes.push(...enc.encode(s[i]));
      continue;
    }
    const oct = /^[0-7]{3}/.exec(s.slice(i + 1));
    if (oct) {
      bytes.push(parseInt(oct[0], 8));
      i += 3;
      continue;
    }
    const c = s[++i];
    bytes.push(...enc.encode({ n: "\n", t: "\t", '"': '"', "\\": "\\" }[c ?? ""] ?? c ?? ""));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The two paths of `diff --git a/x b/y` when no `---`/`+++` lines name them (binary, mode). */
function gitHeaderPaths(rest: string): [string | null, string | null] {
  const quoted = /^"(.*?)" "(.*)"$/.exec(rest);
  if (quoted) return [pathOf(`"${quoted[1]}"`), pathOf(`"${quoted[2]}"`)];
  // `a/p b/p`: the same path twice when not renamed, so split in the middle
  const mid = rest.length >> 1;
  const split =
    rest[mid] === " " && rest.slice(0, mid).slice(2) === rest.slice(mid + 3)
      ? mid
      : rest.indexOf(" b/");
  if (split < 0) return [pathOf(rest), pathOf(rest)];
  return [pathOf(rest.slice(0, split)), pathOf(rest.slice(split + 1))];
}

const newFile = (): DiffFile => ({
  oldPath: null,
  newPath: null,
  status: "modified",
  binary: false,
  hunks: [],
  additions: 0,
  deletions: 0,
});

/** Reads `text` (a whole diff) into its files; never throws on what it does not know. */
export function parseDiff(text: string): ParsedDiff {
  const files: DiffFile[] = [];
  const notes: string[] = [];
  let file: DiffFile | undefined;
  let hunk: DiffHunk | undefined;
  // a hunk's lines are counted by its header: a `--- x` line inside one is a deleted `-- x`
  let oldLeft = 0;
  let newLeft = 0;
  let oldNo = 0;
  let newNo = 0;
  let inBinaryPatch = false;
  /** the file's `---` line was read (a plain diff's next one begins another file) */
  let minusSeen = false;
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();

  const start = () => {
    file = newFile();
    files.push(file);
    hunk = undefined;
    inBinaryPatch = false;
    minusSeen = false;
    return file;
  };

  for (const line of lines) {
    if (hunk && file && (oldLeft > 0 || newLeft > 0)) {
      const c = line[0];
      if (c === "+" && newLeft > 0) {
        hunk.lines.push({ kind: "add", text: line.slice(1), newNo: newNo++ });
        file.additions++;
        newLeft--;
        continue;
      }
      if (c === "-" && oldLeft > 0) {
        hunk.lines.push({ kind: "del", text: line.slice(1), oldNo: oldNo++ });
        file.deletions++;
        oldLeft--;
        continue;
      }
      if ((c === " " || line === "") && oldLeft > 0 && newLeft > 0) {
        hunk.lines.push({ kind: "ctx", text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
        oldLeft--;
        newLeft--;
        continue;
      }
    }
    if (hunk && line.startsWith("\\")) {
      hunk.lines.push({ kind: "note", text: line.slice(1).trim() });
      continue;
    }
    hunk = undefined; // a hunk ends at its count, or where a line does not fit it (a cut diff)
    if (line.startsWith("diff --git ")) {
      const f = start();
      [f.oldPath, f.newPath] = gitHeaderPaths(line.slice("diff --git ".length));
      continue;
    }
    const m = HUNK.exec(line);
    if (m && file) {
      hunk = { header: line, lines: [] };
      file.hunks.push(hunk);
      [oldNo, oldLeft, newNo, newLeft] = [+m[1]!, +(m[2] ?? 1), +m[3]!, +(m[4] ?? 1)];
      continue;
    }
    if (line.startsWith("--- ") && !inBinaryPatch) {
      // a plain unified diff has no `diff --git` line: its `---` begins a file
      const f = file && !file.hunks.length && !minusSeen ? file : start();
      minusSeen = true;
      f.oldPath = pathOf(line.slice(4));
      if (f.oldPath === null) f.status = "added";
      continue;
    }
    if (line.startsWith("+++ ") && file && !inBinaryPatch) {
      file.newPath = pathOf(line.slice(4));
      if (file.newPath === null) file.status = "deleted";
      continue;
    }
    if (file && !file.hunks.length) {
      if (inBinaryPatch && !line.startsWith("#")) continue;
      if (headerLine(file, line)) continue;
    }
    if (line === "GIT binary patch" && file) {
      file.binary = inBinaryPatch = true;
      continue;
    }
    notes.push(line);
  }
  return { files, notes };
}

/** Reads one extended header line of git's into `f`; false if it is none. */
function headerLine(f: DiffFile, line: string): boolean {
  if (line.startsWith("new file mode")) f.status = "added";
  else if (line.startsWith("deleted file mode")) f.status = "deleted";
  else if (line.startsWith("rename from ")) {
    f.status = "renamed";
    f.oldPath = line.slice("rename from ".length);
  } else if (line.startsWith("rename to ")) f.newPath = line.slice("rename to ".length);
  else if (line.startsWith("Binary files ")) f.binary = true;
  else if (line === "GIT binary patch") return false;
  else if (!/^(index |old mode |new mode |similarity index |dissimilarity index |copy )/.test(line))
    return false;
  return true;
}

/** A file's name as shown: its new path, or the old one of a deletion; a rename shows both. */
export const fileLabel = (f: DiffFile) =>
  f.status === "renamed" && f.oldPath !== f.newPath
    ? `${f.oldPath} → ${f.newPath}`
    : (f.newPath ?? f.oldPath ?? "(unnamed)");

/** Rows of the side-by-side view: a hunk's deletions paired with the additions that follow. */
export type SplitRow = { left?: DiffLine; right?: DiffLine };

export function splitRows(lines: DiffLine[]): SplitRow[] {
  const rows: SplitRow[] = [];
  let dels: DiffLine[] = [];
  let adds: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(dels.length, adds.length); i++)
      rows.push({ left: dels[i], right: adds[i] });
    dels = [];
    adds = [];
  };
  for (const l of lines) {
    if (l.kind === "del") {
      if (adds.length) flush();
      dels.push(l);
    } else if (l.kind === "add") adds.push(l);
    else {
      flush();
      rows.push({ left: l, right: l });
    }
  }
  flush();
  return rows;
}
