// A diff artifact rendered (loaded lazily: it is not in the console's first JavaScript): the file
// list with counts, then each file unified or side by side (`?view=` in the URL), foldable.
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useMemo } from "react";
import { Problem } from "../../components/problem.tsx";
import { client } from "../../lib/api.ts";
import { DiffFileView, type DiffView, FIRST_ROWS } from "./diff-file.tsx";
import { fileLabel, parseDiff } from "./parse-diff.ts";

/** Larger files are not read into the page (the runner's diffs stop at 2 MiB). */
const MAX_DIFF_BYTES = 8 * 1024 * 1024;
/** Files past this many lines in all start folded. */
const OPEN_LINES = 2 * FIRST_ROWS;

export default function DiffViewer(props: {
  runId: string;
  artifactUid: string;
  name: string;
  view: DiffView;
}) {
  const { runId, artifactUid, name, view } = props;
  const file = useQuery({
    queryKey: ["artifact-file", artifactUid],
    queryFn: async () => client.agent.artifacts.download(artifactUid),
    staleTime: Infinity,
  });
  const parsed = useMemo(() => {
    const bytes = file.data?.bytes;
    if (!bytes || bytes.length > MAX_DIFF_BYTES) return undefined;
    return parseDiff(new TextDecoder().decode(bytes));
  }, [file.data]);

  if (file.error) return <Problem error={file.error} what={`Could not load ${name}`} />;
  if (!file.data) return <p role="status">Loading {name}…</p>;
  if (!parsed)
    return (
      <p className="problem">
        {name} is {file.data.bytes.length} bytes, too large to show here; download it instead.
      </p>
    );
  const added = parsed.files.reduce((n, f) => n + f.additions, 0);
  const removed = parsed.files.reduce((n, f) => n + f.deletions, 0);
  let lines = 0;
  const openAt = parsed.files.map((f) => {
    const open = lines < OPEN_LINES;
    lines += f.additions + f.deletions;
    return open;
  });
  const viewLink = (v: DiffView, label: string) => (
    <Link
      to="/runs/$runId"
      params={{ runId }}
      search={{ tab: "artifacts", diff: artifactUid, view: v }}
      className={view === v ? "button selected" : "button"}
      aria-current={view === v ? "true" : undefined}
    >
      {label}
    </Link>
  );
  return (
    <section className="diff-viewer" aria-label={`Diff ${name}`}>
      <div className="diff-toolbar">
        <h3>{name}</h3>
        <nav aria-label="Diff view" className="diff-views">
          {viewLink("unified", "Unified")}
          {viewLink("split", "Side by side")}
        </nav>
        <Link
          to="/runs/$runId"
          params={{ runId }}
          search={{ tab: "artifacts", view }}
          className="button"
        >
          Close
        </Link>
      </div>
      <p>
        {parsed.files.length} {parsed.files.length === 1 ? "file" : "files"} changed,{" "}
        <span className="diff-count add">+{added}</span>{" "}
        <span className="diff-count del">−{removed}</span>
      </p>
      <ul className="diff-files" aria-label="Changed files">
        {parsed.files.map((f, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a diff's files never move: their place is their identity
          <li key={i}>
            <a
              href={`#diff-file-${i}`}
              onClick={(e) => {
                e.preventDefault();
                // focus follows, so the keyboard goes on from the file it jumped to
                const target = document.getElementById(`diff-file-${i}`);
                target?.scrollIntoView();
                target?.focus();
              }}
            >
              {fileLabel(f)}
            </a>{" "}
            <span className="diff-count add">+{f.additions}</span>{" "}
            <span className="diff-count del">−{f.deletions}</span>
          </li>
        ))}
      </ul>
      {parsed.files.map((f, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the same, and a file's fold outlives a view change
        <DiffFileView key={i} file={f} index={i} view={view} open={openAt[i]!} />
      ))}
      {parsed.notes.map((n, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: notes never move, and two may read the same
        <p key={i} className="diff-note">
          {n}
        </p>
      ))}
    </section>
  );
}
