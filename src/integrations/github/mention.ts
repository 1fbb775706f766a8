/**
 * The comment's text without the handle if it mentions it, else null. A mention counts outside
 * fenced code, inline code and `>` quotes, on word boundaries, case-insensitively: quoting a
 * mention or showing one in code does not summon the agent again.
 */
export function mentionRequest(body: string, handle: string): string | null {
  const live = body
    .replace(/```[\s\S]*?(```|$)/g, " ")
    .replace(/`[^`\n]*`/g, " ")
    .replace(/^\s*>.*$/gm, " ");
  const name = handle.slice(1).replace(/[-]/g, "\\-");
  const mention = new RegExp(`(^|[^\\w@/.-])@${name}(?![\\w-])`, "i");
  if (!mention.test(live)) return null;
  return body.replace(new RegExp(`@${name}(?![\\w-])`, "i"), "").trim();
}
