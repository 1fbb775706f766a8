import { raw } from "hono/html";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

/**
 * The inline Markdown of the API's own descriptions as HTML: `code`, **strong**, *emphasis* and
 * [links](https://…) (http(s), relative and `#` targets only); everything else is text, escaped.
 * Enough for the short texts of the OpenAPI document, which are ours: no block syntax.
 */
export function markdownInline(text: string | undefined) {
  const parts = (text ?? "").split(/(`[^`]+`)/);
  const html = parts
    .map((part) => {
      if (/^`[^`]+`$/.test(part)) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      return escapeHtml(part)
        .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
        .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?![*\w])/g, "$1<em>$2</em>")
        .replace(/\[([^\]]+)\]\(((?:https?:\/\/|\/|#)[^)\s]*)\)/g, '<a href="$2">$1</a>');
    })
    .join("");
  return raw(html);
}
