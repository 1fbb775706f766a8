// What the run produced: pull requests, plans, files, links.
import type { ArtifactItem } from "@ambit/sdk";

export function Artifacts({ artifacts }: { artifacts: ArtifactItem[] }) {
  if (!artifacts.length) return <p className="empty">No artifacts.</p>;
  return (
    <ul className="artifacts">
      {artifacts.map((a, i) => {
        const d = a.data as { url?: string; title?: string; name?: string; file_name?: string };
        const label = d.title ?? d.name ?? d.file_name ?? a.artifact_type;
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
          </li>
        );
      })}
    </ul>
  );
}
