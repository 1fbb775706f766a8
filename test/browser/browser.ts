// Debian's chromium driven by playwright-core (no browser download): found, launched, and every
// page watched for console errors. Without chromium the browser tests skip with one line.
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import {
  type Browser,
  type BrowserContext,
  chromium,
  type ConsoleMessage,
  type Page,
} from "playwright-core";
import { ROOT } from "../../scripts/lib/wrangler-dev.ts";

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
].filter(Boolean) as string[];
export const CHROMIUM = CANDIDATES.find((p) => existsSync(p));
export const NO_BROWSER = CHROMIUM
  ? undefined
  : `no chromium at ${CANDIDATES.join(" or ")} (apt-get install -y chromium; CI installs it)`;

export const SHOTS = path.join(ROOT, "test-results/browser");

export async function launch(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM!,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/** A page whose console errors and uncaught exceptions are collected (`errors`). */
export async function watchedPage(
  context: BrowserContext,
): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    const line = `${m.text()} (${m.location().url})`;
    // the team page asks for the team's SSO settings; a team without any answers 404 by design
    // (GET /team/sso), which the browser reports as a failed resource
    if (/status of 404 .*\/api\/v1\/team\/sso\)$/.test(line)) return;
    if (m.type() === "error") errors.push(line);
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors };
}

export const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
