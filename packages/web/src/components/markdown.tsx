// Agent messages as Markdown. `marked` parses; we draw its tokens as React elements, so text from
// an agent can never become HTML or script on the page (raw HTML shows as text, links only http(s)
// and mailto).
import { type Token, type Tokens, lexer } from "marked";
import { memo, type ReactNode } from "react";

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return <div className="md">{drawn(text)}</div>;
});

// The elements of recent texts: a windowed transcript mounts a row again each time it scrolls back
// into view (and a live one draws the newest rows over and over while it follows the end), and
// `lexer` is the costliest part of drawing a message. React elements are immutable, so one tree
// serves every mount.
const DRAWN = new Map<string, ReactNode[]>();
const DRAWN_MAX = 2_000;

function drawn(text: string): ReactNode[] {
  let nodes = DRAWN.get(text);
  if (!nodes) {
    nodes = blocks(lexer(text));
    if (DRAWN.size >= DRAWN_MAX) DRAWN.delete(DRAWN.keys().next().value!);
    DRAWN.set(text, nodes);
  }
  return nodes;
}

function blocks(tokens: Token[]): ReactNode[] {
  return tokens.map((t, i) => block(t, i));
}

function block(t: Token, key: number): ReactNode {
  switch (t.type) {
    case "heading": {
      const H = `h${Math.min(6, (t as Tokens.Heading).depth + 2)}` as "h3";
      return <H key={key}>{inline((t as Tokens.Heading).tokens)}</H>;
    }
    case "paragraph":
      return <p key={key}>{inline((t as Tokens.Paragraph).tokens)}</p>;
    case "code":
      return (
        <pre key={key}>
          <code>{(t as Tokens.Code).text}</code>
        </pre>
      );
    case "blockquote":
      return <blockquote key={key}>{blocks((t as Tokens.Blockquote).tokens)}</blockquote>;
    case "list": {
      const l = t as Tokens.List;
      const items = l.items.map((item, j) => (
        <li key={j}>
          {item.tokens.some((x) => x.type !== "text") ? blocks(item.tokens) : inline(item.tokens)}
        </li>
      ));
      return l.ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>;
    }
    case "table": {
      const tb = t as Tokens.Table;
      return (
        <table key={key}>
          <thead>
            <tr>
              {tb.header.map((c, j) => (
                <th key={j}>{inline(c.tokens)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {tb.rows.map((r, j) => (
              <tr key={j}>
                {r.map((c, k) => (
                  <td key={k}>{inline(c.tokens)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      );
    }
    case "hr":
      return <hr key={key} />;
    case "space":
      return null;
    case "text": {
      const tx = t as Tokens.Text;
      return <p key={key}>{tx.tokens ? inline(tx.tokens) : tx.text}</p>;
    }
    default:
      return <p key={key}>{"raw" in t ? t.raw : ""}</p>;
  }
}

function inline(tokens: Token[] | undefined): ReactNode[] {
  return (tokens ?? []).map((t, i) => {
    switch (t.type) {
      case "strong":
        return <strong key={i}>{inline((t as Tokens.Strong).tokens)}</strong>;
      case "em":
        return <em key={i}>{inline((t as Tokens.Em).tokens)}</em>;
      case "del":
        return <del key={i}>{inline((t as Tokens.Del).tokens)}</del>;
      case "codespan":
        return <code key={i}>{decode((t as Tokens.Codespan).text)}</code>;
      case "br":
        return <br key={i} />;
      case "link": {
        const l = t as Tokens.Link;
        return /^(https?:|mailto:)/i.test(l.href) ? (
          <a key={i} href={l.href} target="_blank" rel="noreferrer noopener">
            {inline(l.tokens)}
          </a>
        ) : (
          <span key={i}>{inline(l.tokens)}</span>
        );
      }
      case "text": {
        const tx = t as Tokens.Text;
        return tx.tokens ? <span key={i}>{inline(tx.tokens)}</span> : decode(tx.text);
      }
      default:
        return decode("text" in t ? String(t.text) : t.raw);
    }
  });
}

/** marked escapes `&<>"'` in inline text; React escapes again, so undo marked's. */
function decode(s: string): string {
  return s.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]!,
  );
}
