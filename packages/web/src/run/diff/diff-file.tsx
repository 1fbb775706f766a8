// One file of a diff: a header that folds it (with its +/- counts), then its hunks, unified or
// side by side. Long files draw their first rows and add more on request.
import { useState } from "react";
import { type DiffFile, type DiffLine, fileLabel, splitRows } from "./parse-diff.ts";

export type DiffView = "unified" | "split";

/** Rows drawn at first, and added by each "show more". */
export const FIRST_ROWS = 400;
const MORE_ROWS = 1_000;

const MARK = { add: "+", del: "-", ctx: " ", note: "\\" } as const;
const SAID = { add: "added", del: "removed", ctx: "", note: "" } as const;

/** The +/- marker: seen, and said in words (colour is never the only sign). */
function Mark({ line }: { line?: DiffLine }) {
  if (!line) return <td className="mark" />;
  return (
    <td className={`mark diff-${line.kind}`}>
      <span aria-hidden="true">{MARK[line.kind]}</span>
      {SAID[line.kind] && <span className="sr-only">{SAID[line.kind]}</span>}
    </td>
  );
}

const oldNo = (l?: DiffLine) => (l && "oldNo" in l ? l.oldNo : "");
const newNo = (l?: DiffLine) => (l && "newNo" in l ? l.newNo : "");

type Row = { hunk: string } | { line: DiffLine } | { left?: DiffLine; right?: DiffLine };

function rowsOf(file: DiffFile, view: DiffView): Row[] {
  const rows: Row[] = [];
  for (const h of file.hunks) {
    rows.push({ hunk: h.header });
    if (view === "unified") for (const line of h.lines) rows.push({ line });
    else rows.push(...splitRows(h.lines));
  }
  return rows;
}

function DiffRow({ row, view }: { row: Row; view: DiffView }) {
  if ("hunk" in row)
    return (
      <tr className="diff-hunk">
        <td colSpan={view === "unified" ? 4 : 6}>{row.hunk}</td>
      </tr>
    );
  if ("line" in row) {
    const l = row.line;
    return (
      <tr className={`diff-${l.kind}`}>
        <td className="ln">{oldNo(l)}</td>
        <td className="ln">{newNo(l)}</td>
        <Mark line={l} />
        <td className="code">{l.text}</td>
      </tr>
    );
  }
  const { left, right } = row;
  return (
    <tr>
      <td className={`ln diff-${left?.kind ?? "empty"}`}>{oldNo(left)}</td>
      <Mark line={left} />
      <td className={`code diff-${left?.kind ?? "empty"}`}>{left?.text}</td>
      <td className={`ln diff-${right?.kind ?? "empty"}`}>{newNo(right)}</td>
      <Mark line={right} />
      <td className={`code diff-${right?.kind ?? "empty"}`}>{right?.text}</td>
    </tr>
  );
}

export function DiffFileView(props: {
  file: DiffFile;
  index: number;
  view: DiffView;
  open: boolean;
}) {
  const { file, index, view } = props;
  const [open, setOpen] = useState(props.open);
  const [shown, setShown] = useState(FIRST_ROWS);
  const label = fileLabel(file);
  const rows = open ? rowsOf(file, view) : [];
  const bodyId = `diff-file-${index}-body`;
  return (
    <section className="diff-file" id={`diff-file-${index}`} aria-label={label} tabIndex={-1}>
      <h4 className="diff-file-head">
        <button
          type="button"
          className="link"
          aria-expanded={open}
          aria-controls={bodyId}
          onClick={() => setOpen(!open)}
        >
          <span aria-hidden="true">{open ? "▾" : "▸"}</span> {label}
        </button>{" "}
        {file.status !== "modified" && <span className="badge muted">{file.status}</span>}{" "}
        <span className="diff-count add">+{file.additions}</span>{" "}
        <span className="diff-count del">−{file.deletions}</span>
      </h4>
      <div id={bodyId} hidden={!open}>
        {open && file.binary && <p className="empty">Binary file: not shown.</p>}
        {open && !file.binary && !file.hunks.length && (
          <p className="empty">No changed lines (a rename or a mode change).</p>
        )}
        {rows.length > 0 && (
          <div className="diff-scroll">
            <table className={`diff diff-${view}`}>
              <tbody>
                {rows.slice(0, shown).map((row, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a diff's rows never move: their place is their identity
                  <DiffRow key={i} row={row} view={view} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {rows.length > shown && (
          <button type="button" onClick={() => setShown(shown + MORE_ROWS)}>
            Show {Math.min(MORE_ROWS, rows.length - shown)} more lines ({rows.length - shown} left)
          </button>
        )}
      </div>
    </section>
  );
}
