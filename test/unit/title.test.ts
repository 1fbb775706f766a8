import { describe, expect, it } from "vitest";
import { titleFromPrompt } from "../../src/lib/title.ts";

describe("titleFromPrompt", () => {
  it("takes the first non-empty line, with whitespace collapsed", () => {
    expect(titleFromPrompt("\n\n   Fix   the\tflaky test  \nand more", "x")).toBe(
      "Fix the flaky test",
    );
  });

  it.each([undefined, "", "   \n\t\n  "])("falls back when the prompt is %j", (prompt) => {
    expect(titleFromPrompt(prompt, "Untitled run")).toBe("Untitled run");
  });

  it("keeps a line of exactly 80 characters", () => {
    const line = "a".repeat(80);
    expect(titleFromPrompt(line, "x")).toBe(line);
  });

  it("cuts a long line at a word boundary, within 80 characters, with an ellipsis", () => {
    const prompt =
      "Refactor the authentication middleware so that expired keys are refused before any database lookup happens";
    const title = titleFromPrompt(prompt, "x");
    expect(title.length).toBeLessThanOrEqual(80);
    expect(title.endsWith("…")).toBe(true);
    expect(prompt.startsWith(title.slice(0, -1))).toBe(true);
    expect(prompt[title.length - 1]).toBe(" "); // the cut falls between words
  });

  it("cuts a long word without spaces at 79 characters plus the ellipsis", () => {
    const title = titleFromPrompt("x".repeat(200), "y");
    expect(title).toBe(`${"x".repeat(79)}…`);
  });

  it("does not cut at a space too early in the line", () => {
    const prompt = `short ${"y".repeat(150)}`;
    expect(titleFromPrompt(prompt, "x")).toBe(`${prompt.slice(0, 79)}…`);
  });
});
