// The user documentation (README.md, CONTRIBUTING.md, docs/*.md) keeps three promises
// (CONTRIBUTING.md, "Documentation"):
// - every shell block (```sh, ```bash, ```console, ```shell) is either the README's quick start,
//   which test/e2e/quickstart.test.ts runs line for line, or marked `<!-- illustrative -->` on the
//   line before its fence;
// - nothing points at `../shared`, which readers of this repository do not have;
// - every relative link names a file or folder that exists, and a heading its Markdown file has.
// And docs/deploy.md creates every queue wrangler.toml names (a deploy missing one fails).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SHELL = new Set(["sh", "bash", "console", "shell", "zsh"]);
const ILLUSTRATIVE = "<!-- illustrative -->";
const QUICKSTART = /^<!-- quickstart:cli[^>]*-->$/;

/** The documentation files this test holds to its promises, relative to the root. */
function docFiles(root = ROOT): string[] {
  const docs = existsSync(path.join(root, "docs"))
    ? readdirSync(path.join(root, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`)
    : [];
  return ["README.md", "CONTRIBUTING.md", ...docs]
    .filter((f) => existsSync(path.join(root, f)))
    .sort();
}

interface Fence {
  line: number; // 1-based line of the opening fence
  info: string; // the info string's first word
  marker: string; // the nearest non-blank line before the fence, trimmed
  body: string[];
}

/** The fenced code blocks of a Markdown text (``` or ~~~, indented ones in lists too). */
function fences(text: string): Fence[] {
  const lines = text.split("\n");
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^\s*(`{3,}|~{3,})\s*([^\s`]*)/);
    if (!open) continue;
    let j = i - 1;
    while (j >= 0 && !lines[j].trim()) j--;
    const fence: Fence = {
      line: i + 1,
      info: open[2].toLowerCase(),
      marker: j >= 0 ? lines[j].trim() : "",
      body: [],
    };
    const close = new RegExp(`^\\s*${open[1][0] === "`" ? "`" : "~"}{${open[1].length},}\\s*$`);
    for (i++; i < lines.length && !close.test(lines[i]); i++) fence.body.push(lines[i]);
    out.push(fence);
  }
  return out;
}

/** Shell blocks that are neither marked illustrative nor the README's tested quick start. */
function unmarkedShellBlocks(file: string, text: string): string[] {
  return fences(text)
    .filter((f) => SHELL.has(f.info))
    .filter(
      (f) => f.marker !== ILLUSTRATIVE && !(file === "README.md" && QUICKSTART.test(f.marker)),
    )
    .map(
      (f) => `${file}:${f.line}: a \`\`\`${f.info} block neither marked ${ILLUSTRATIVE} nor tested`,
    );
}

/** The text with its fenced blocks blanked (their lines kept, empty). */
function outsideFences(text: string): string {
  let inFence: string | null = null;
  return text
    .split("\n")
    .map((l) => {
      const m = l.match(/^\s*(`{3,}|~{3,})/);
      if (inFence) {
        if (
          m &&
          m[1][0] === inFence[0] &&
          m[1].length >= inFence.length &&
          !l.trim().slice(m[1].length)
        )
          inFence = null;
        return "";
      }
      if (m) {
        inFence = m[1];
        return "";
      }
      return l;
    })
    .join("\n");
}

/** The text with fenced blocks and inline code blanked, so links inside code are not links. */
function prose(text: string): string {
  return outsideFences(text).replace(/`+[^`\n]*`+/g, "``");
}

/** The anchors GitHub gives a Markdown text's headings (github-slugger's rule). */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of outsideFences(text).split("\n")) {
    const h = line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!h) continue;
    const base = h[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Relative links to a file that does not exist, or to a heading a Markdown file does not have. */
function brokenLinks(file: string, text: string, root = ROOT): string[] {
  const broken: string[] = [];
  const dir = path.dirname(path.join(root, file));
  for (const m of prose(text).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // URLs
    const [name, fragment] = target.split("#");
    const resolved = name ? path.resolve(dir, decodeURIComponent(name)) : path.join(root, file);
    if (!existsSync(resolved)) {
      broken.push(`${file}: ${target}`);
    } else if (
      fragment &&
      resolved.endsWith(".md") &&
      !anchors(readFileSync(resolved, "utf8")).has(fragment)
    ) {
      broken.push(`${file}: ${target} (no such heading)`);
    }
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
    const unmarked = files.flatMap((f) =>
      unmarkedShellBlocks(f, readFileSync(path.join(ROOT, f), "utf8")),
    );
    expect(unmarked).toEqual([]);
  });

  it("docs/deploy.md creates every queue wrangler.toml names", () => {
    const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
    const queues = new Set(
      [...toml.matchAll(/^(?:queue|dead_letter_queue) = "([^"]+)"/gm)].map((m) => m[1]),
    );
    const deploy = readFileSync(path.join(ROOT, "docs/deploy.md"), "utf8");
    const missing = [...queues].filter(
      (q) => !deploy.includes(`npx wrangler queues create ${q}\n`),
    );
    expect(queues.size).toBeGreaterThan(5);
    expect(missing).toEqual([]);
  });

  it("never points at ../shared", () => {
    const mentions = files.filter((f) =>
      readFileSync(path.join(ROOT, f), "utf8").includes("../shared"),
    );
    expect(mentions).toEqual([]);
  });

  it("links only to files and headings that exist", () => {
    const broken = files.flatMap((f) => brokenLinks(f, readFileSync(path.join(ROOT, f), "utf8")));
    expect(broken).toEqual([]);
  });

  it("keeps the README's quick start where test/e2e/quickstart.test.ts finds it", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/<!-- quickstart:cli[^>]*-->\s*```sh\n[\s\S]*?```/);
  });

  // The checks themselves, on small texts: a wrong checker would pass everything.
  it("finds an unmarked block, accepts a marked one and the README's quick start only in the README", () => {
    const text = [
      "```sh",
      "npm start",
      "```",
      "",
      ILLUSTRATIVE,
      "```bash",
      "ls",
      "```",
      "",
      "- item:",
      "  ```console",
      "  $ x",
      "  ```",
      "",
      "<!-- quickstart:cli (run) -->",
      "```sh",
      "npx ambit run list",
      "```",
      "",
      "```ts",
      "x()",
      "```",
    ].join("\n");
    expect(unmarkedShellBlocks("docs/x.md", text)).toEqual([
      "docs/x.md:1: a ```sh block neither marked <!-- illustrative --> nor tested",
      "docs/x.md:11: a ```console block neither marked <!-- illustrative --> nor tested",
      "docs/x.md:16: a ```sh block neither marked <!-- illustrative --> nor tested",
    ]);
    expect(unmarkedShellBlocks("README.md", text)).toHaveLength(2);
  });

  it("finds a broken relative link and ignores URLs, anchors and code", () => {
    const text =
      "[a](docs/security.md) [b](docs/nope.md#x) [c](https://x.test/y) `[e](gone.md)`\n```\n[f](gone.md)\n```";
    expect(brokenLinks("README.md", text)).toEqual(["README.md: docs/nope.md#x"]);
  });

  it("checks anchors against GitHub's heading ids", () => {
    const text =
      "# The API\n## Auth and API keys\n## Harnesses (`src/harness/`)\n## Rotating `SECRETS_KEY`\n## Runs\n## Runs\n```\n# not a heading\n```";
    expect([...anchors(text)]).toEqual([
      "the-api",
      "auth-and-api-keys",
      "harnesses-srcharness",
      "rotating-secrets_key",
      "runs",
      "runs-1",
    ]);
    expect(
      brokenLinks("docs/security.md", "[a](#the-parties) [b](#nowhere) [c](api.md#runs)"),
    ).toEqual(["docs/security.md: #nowhere (no such heading)"]);
  });
});
