// The user documentation (README.md, CONTRIBUTING.md, docs/*.md) keeps three promises
// (CONTRIBUTING.md, "Documentation"):
// - every shell block (```sh, ```bash, ```console, ```shell) is either the README's quick start,
//   which test/e2e/quickstart.test.ts runs line for line, or marked `<!-- illustrative -->` on the
//   line before its fence;
// - nothing points at `../shared`, which readers of this repository do not have;
// - every relative link names a file or folder that exists.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SHELL = new Set(["sh", "bash", "console", "shell", "zsh"]);
const ILLUSTRATIVE = "<!-- illustrative -->";
const QUICKSTART = /^<!-- quickstart:cli[^>]*-->$/;

/** The documentation files this test holds to its promises, relative to the root. */
export function docFiles(root = ROOT): string[] {
  const docs = existsSync(path.join(root, "docs"))
    ? readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)
    : [];
  return ["README.md", "CONTRIBUTING.md", ...docs].filter((f) => existsSync(path.join(root, f))).sort();
}

interface Fence {
  line: number; // 1-based line of the opening fence
  info: string; // the info string's first word
  marker: string; // the nearest non-blank line before the fence, trimmed
  body: string[];
}

/** The fenced code blocks of a Markdown text (``` or ~~~, indented ones in lists too). */
export function fences(text: string): Fence[] {
  const lines = text.split("\n");
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^\s*(`{3,}|~{3,})\s*([^\s`]*)/);
    if (!open) continue;
    let j = i - 1;
    while (j >= 0 && !lines[j].trim()) j--;
    const fence: Fence = { line: i + 1, info: open[2].toLowerCase(), marker: j >= 0 ? lines[j].trim() : "", body: [] };
    const close = new RegExp(`^\\s*${open[1][0] === "`" ? "`" : "~"}{${open[1].length},}\\s*$`);
    for (i++; i < lines.length && !close.test(lines[i]); i++) fence.body.push(lines[i]);
    out.push(fence);
  }
  return out;
}

/** Shell blocks that are neither marked illustrative nor the README's tested quick start. */
export function unmarkedShellBlocks(file: string, text: string): string[] {
  return fences(text)
    .filter((f) => SHELL.has(f.info))
    .filter((f) => f.marker !== ILLUSTRATIVE && !(file === "README.md" && QUICKSTART.test(f.marker)))
    .map((f) => `${file}:${f.line}: a \`\`\`${f.info} block neither marked ${ILLUSTRATIVE} nor tested`);
}

/** The text with fenced blocks and inline code blanked, so links inside code are not links. */
function prose(text: string): string {
  const lines = text.split("\n");
  let inFence: string | null = null;
  return lines
    .map((l) => {
      const m = l.match(/^\s*(`{3,}|~{3,})/);
      if (inFence) {
        if (m && m[1][0] === inFence[0] && m[1].length >= inFence.length && !l.trim().slice(m[1].length)) inFence = null;
        return "";
      }
      if (m) {
        inFence = m[1];
        return "";
      }
      return l.replace(/`+[^`]*`+/g, "``");
    })
    .join("\n");
}

/** Relative link targets that do not exist, as `file: target`. */
export function brokenLinks(file: string, text: string, root = ROOT): string[] {
  const broken: string[] = [];
  const dir = path.dirname(path.join(root, file));
  for (const m of prose(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) continue; // URLs, anchors
    const file_ = decodeURIComponent(target.split("#")[0]);
    if (!existsSync(path.resolve(dir, file_))) broken.push(`${file}: ${target}`);
  }
  return broken;
}

describe("the documentation", () => {
  const files = docFiles();

  it("has a README, a CONTRIBUTING guide and docs/", () => {
    expect(files).toContain("README.md");
    expect(files).toContain("CONTRIBUTING.md");
    expect(files.filter((f) => f.startsWith("docs/")).length).toBeGreaterThan(1);
  });

  it("marks every shell block illustrative unless a test runs it", () => {
    const unmarked = files.flatMap((f) => unmarkedShellBlocks(f, readFileSync(path.join(ROOT, f), "utf8")));
    expect(unmarked).toEqual([]);
  });

  it("never points at ../shared", () => {
    const mentions = files.filter((f) => readFileSync(path.join(ROOT, f), "utf8").includes("../shared"));
    expect(mentions).toEqual([]);
  });

  it("links only to files that exist", () => {
    const broken = files.flatMap((f) => brokenLinks(f, readFileSync(path.join(ROOT, f), "utf8")));
    expect(broken).toEqual([]);
  });

  it("keeps the README's quick start where test/e2e/quickstart.test.ts finds it", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/<!-- quickstart:cli[^>]*-->\s*```sh\n[\s\S]*?```/);
  });

  // The checks themselves, on small texts: a wrong checker would pass everything.
  it("finds an unmarked block, accepts a marked one and the README's quick start only in the README", () => {
    const text = ["```sh", "npm start", "```", "", ILLUSTRATIVE, "```bash", "ls", "```", "", "- item:", "  ```console", "  $ x", "  ```", "", "<!-- quickstart:cli (run) -->", "```sh", "npx ambit run list", "```", "", "```ts", "x()", "```"].join("\n");
    expect(unmarkedShellBlocks("docs/x.md", text)).toEqual([
      "docs/x.md:1: a ```sh block neither marked <!-- illustrative --> nor tested",
      "docs/x.md:11: a ```console block neither marked <!-- illustrative --> nor tested",
      "docs/x.md:16: a ```sh block neither marked <!-- illustrative --> nor tested",
    ]);
    expect(unmarkedShellBlocks("README.md", text)).toHaveLength(2);
  });

  it("finds a broken relative link and ignores URLs, anchors and code", () => {
    const text = "[a](docs/security.md) [b](docs/nope.md#x) [c](https://x.test/y) [d](#here) `[e](gone.md)`\n```\n[f](gone.md)\n```";
    expect(brokenLinks("README.md", text)).toEqual(["README.md: docs/nope.md#x"]);
  });
});
