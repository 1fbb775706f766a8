import { ambitHarness } from "./ambit.ts";
import { claudeSpec } from "./cli/claude.ts";
import { codexSpec } from "./cli/codex.ts";
import { geminiSpec } from "./cli/gemini.ts";
import { opencodeSpec } from "./cli/opencode.ts";
import { cliHarness } from "./cli/run-cli.ts";
import type { Harness } from "./types.ts";

const HARNESSES: Harness[] = [
  ambitHarness,
  ...[claudeSpec, codexSpec, geminiSpec, opencodeSpec].map(cliHarness),
];

/** The harness types this runner can run (`agent_config.harness.type`; `oz` is served by `ambit`). */
export const HARNESS_TYPES = [...HARNESSES.map((h) => h.type), "oz"];

/** The harness for `type`, or null when this runner has none of that name. `oz` (the Oz default) runs the `ambit` loop. */
export function createHarness(type: string): Harness | null {
  const name = type === "oz" ? "ambit" : type;
  return HARNESSES.find((h) => h.type === name) ?? null;
}

export type { Harness, HarnessContext, HarnessEvent, HarnessOutcome, Followups } from "./types.ts";
