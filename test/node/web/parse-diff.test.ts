// The console's diff viewer reads unified diffs: git's (renames, new, deleted and binary files,
// no newline at the end), plain `---/+++` ones, a hunk whose deleted line looks like a header, and
// a cut one ending in the runner's note.
import { describe, expect, it } from "vitest";
import { fileLabel, parseDiff, splitRows } from "../../../packages/web/src/run/diff/parse-diff.ts";

const GIT_DIFF = `diff --git a/src/app.ts b/src/app.ts
index 83db48f..bf269f4 100644
--- a/src/app.ts
+++ b/src/app.ts
@@ -1,4 +1,5 @@ export function main() {
 const a = 1;
-const b = 2;
+const b = 3;
+const c = 4;
 const d = 5;
 end();
@@ -10,2 +11,2 @@
--- a comment that began with two dashes
+++ and its replacement
 tail
diff --git a/NEW.md b/NEW.md
new file mode 100644
index 0000000..e69de29
--- /dev/null
+++ b/NEW.md
@@ -0,0 +1 @@
+hello
\\ No newline at end of file
diff --git a/old.txt b/old.txt
deleted file mode 100644
index e69de29..0000000
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/a name.txt b/b name.txt
similarity index 100%
rename from a name.txt
rename to b name.txt
diff --git a/logo.png b/logo.png
index 1111111..2222222 100644
GIT binary patch
literal 5
McmZQz00961004Rg

literal 0
KcmV+b0RR6000031

# Ambit truncated this diff: it is 3000000 bytes
`;

describe("parseDiff", () => {
  const { files, notes } = parseDiff(GIT_DIFF);

  it("reads every file of a git diff with its status and counts", () => {
    expect(files.map((f) => [fileLabel(f), f.status, f.additions, f.deletions, f.binary])).toEqual([
      ["src/app.ts", "modified", 3, 2, false],
      ["NEW.md", "added", 1, 0, false],
      ["old.txt", "deleted", 0, 1, false],
      ["a name.txt → b name.txt", "renamed", 0, 0, false],
      ["logo.png", "modified", 0, 0, true],
    ]);
    expect(notes).toEqual(["# Ambit truncated this diff: it is 3000000 bytes"]);
  });

  it("numbers the lines of each hunk on both sides", () => {
    const [first, second] = files[0]!.hunks;
    expect(first!.header).toBe("@@ -1,4 +1,5 @@ export function main() {");
    expect(first!.lines).toEqual([
      { kind: "ctx", text: "const a = 1;", oldNo: 1, newNo: 1 },
      { kind: "del", text: "const b = 2;", oldNo: 2 },
      { kind: "add", text: "const b = 3;", newNo: 2 },
      { kind: "add", text: "const c = 4;", newNo: 3 },
      { kind: "ctx", text: "const d = 5;", oldNo: 3, newNo: 4 },
      { kind: "ctx", text: "end();", oldNo: 4, newNo: 5 },
    ]);
    // inside a hunk, `--- x` is a deleted line `-- x` (the header's counts say so)
    expect(second!.lines.map((l) => l.kind)).toEqual(["del", "add", "ctx"]);
    expect(second!.lines[0]).toEqual({
      kind: "del",
      text: "-- a comment that began with two dashes",
      oldNo: 10,
    });
    expect(files[1]!.hunks[0]!.lines.at(-1)).toEqual({
      kind: "note",
      text: "No newline at end of file",
    });
  });

  it("reads a plain unified diff of two files, and a diff cut inside a hunk", () => {
    const plain = parseDiff(
      "--- x.txt\n+++ x.txt\n@@ -1 +1 @@\n-a\n+b\n--- y.txt\n+++ y.txt\n@@ -1 +1 @@\n-c\n+d\n",
    );
    expect(plain.files.map((f) => [f.oldPath, f.newPath, f.additions, f.deletions])).toEqual([
      ["x.txt", "x.txt", 1, 1],
      ["y.txt", "y.txt", 1, 1],
    ]);
    const cut = parseDiff(
      "--- a/x\n+++ b/x\n@@ -1,9 +1,9 @@\n a\n-b\n# Ambit truncated this diff\n",
    );
    expect(cut.files[0]!.hunks[0]!.lines).toHaveLength(2);
    expect(cut.notes).toEqual(["# Ambit truncated this diff"]);
    expect(parseDiff("").files).toEqual([]);
  });
});

describe("splitRows", () => {
  it("pairs deletions with the additions after them; context on both sides", () => {
    const rows = splitRows(parseDiff(GIT_DIFF).files[0]!.hunks[0]!.lines);
    expect(rows.map((r) => [r.left?.text ?? null, r.right?.text ?? null])).toEqual([
      ["const a = 1;", "const a = 1;"],
      ["const b = 2;", "const b = 3;"],
      [null, "const c = 4;"],
      ["const d = 5;", "const d = 5;"],
      ["end();", "end();"],
    ]);
  });
});
