// What the run produced: pull requests, plans, links, and files to download; a diff (`.diff`,
// `.patch`, text/x-diff) opens in the diff viewer (`?diff=<artifact>&view=unified|split`).
import type { ArtifactItem } from "@ambit/sdk";
import { Link } from "@tanstack/react-router";
import { lazy, Suspense, useState } from "react";
import { Problem } from "../components/problem.tsx";
import { client } from "../lib/api.ts";
import type { DiffView } from "./diff/diff-file.tsx";

// its own chunk: the first screen's JavaScript does not carry the parser and viewer
const DiffViewer = lazy(() => import("./diff/diff-viewer.tsx"));

type FileData = {
  artifact_uid?: string;
  filename?: string;
  mime_type?: string;
  title?: string;
  description?: string;
  size_bytes?: number;
};

/** A file artifact that is a diff, by its name or its type. */
export const isDiff = (d: FileData) =>
  /\.(diff|patch)$/i.test(d.filename ?? "") || d.mime_type === "text/x-diff";

/** Saves a file artifact through the SDK (a signed, short-lived URL; the cookie stays here). */
function DownloadButton({ uid, name }: { uid: string; name: string }) {
  const [error, setError] = useState<unknown>();
  const save = async () => {
    setError(undefined);
    try {
      const file = await client.agent.artifacts.download(uid);
      const url = URL.createObjectURL(
        new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.contentType }),
      );
      const a = Object.assign(document.createElement("a"), { href: url, download: file.filename });
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void save()} aria-label={`Download ${name}`}>
        Download
      </button>
      <Problem error={error} what={`Could not download ${name}`} />
    </>
  );
}

export function Artifacts(props: {
  runId: string;
  artifacts: ArtifactItem[];
  diff?: string;
  view?: DiffView;
}) {
  const { runId, artifacts, diff, view = "unified" } = props;
  if (!artifacts.length) return <p className="empty">No artifacts.</p>;
  const open = artifacts.find((a) => (a.data as FileData).artifact_uid === diff);
  return (
    <>
      <ul className="artifacts">
        {artifacts.map((a, i) => {
          const d = a.data as FileData & { url?: string; name?: string; file_name?: string };
          const label = d.title ?? d.name ?? d.filename ?? d.file_name ?? a.artifact_type;
          const uid = a.artifact_type === "FILE" ? d.artifact_uid : undefined;
          const name = d.filename ?? label;
          return (
            <li key={i}>
              <span className="badge muted">{a.artifact_type}</span>{" "}
              {typeof d.url === "string" && /^https?:/i.test(d.url) ? (
                <a href={d.url} target="_blank" rel="noreferrer noopener">
                  {label}
                </a>
              ) : (
                label
              )}
              {uid && d.filename && d.filename !== label && (
                <span className="muted"> {d.filename}</span>
              )}
              {d.description && <span className="muted"> — {d.description}</span>}{" "}
              {uid && isDiff(d) && (
                <Link
                  to="/runs/$runId"
                  params={{ runId }}
                  search={{ tab: "artifacts", diff: uid, ...(props.view ? { view } : {}) }}
                  className="button"
                  aria-label={`Show diff ${name}`}
                  aria-current={uid === diff ? "true" : undefined}
                >
                  Show diff
                </Link>
              )}{" "}
              {uid && <DownloadButton uid={uid} name={name} />}
            </li>
          );
        })}
      </ul>
      {open && (
        <Suspense fallback={<p role="status">Loading the diff viewer…</p>}>
          <DiffViewer
            runId={runId}
            artifactUid={diff!}
            name={(open.data as FileData).filename ?? "diff"}
            view={view}
          />
        </Suspense>
      )}
    </>
  );
}
