// One pool's connected hosts: capacity, the runs each holds (linked), when each was last heard,
// and the vendor CLIs each has (those outside the tested range marked).
import type { HostInfo } from "@ambit/protocol";
import { Link } from "@tanstack/react-router";
import { ago, formatTime } from "../lib/format.ts";

export function PoolTable({ pool, hosts, now }: { pool: string; hosts: HostInfo[]; now: number }) {
  const capacity = hosts.reduce((n, h) => n + h.capacity, 0);
  const busy = hosts.reduce((n, h) => n + h.running.length, 0);
  return (
    <section className="pool" data-pool={pool} aria-labelledby={`pool-${pool}`}>
      <h2 id={`pool-${pool}`}>
        {pool}{" "}
        <span className="help" data-testid="pool-load">
          {busy} of {capacity} slots busy · {hosts.length} connection{hosts.length === 1 ? "" : "s"}
        </span>
      </h2>
      <table className="runs">
        <caption className="sr-only">Hosts connected to the pool {pool}</caption>
        <thead>
          <tr>
            <th scope="col">Connection</th>
            <th scope="col">Capacity</th>
            <th scope="col">Running</th>
            <th scope="col">Last heard</th>
            <th scope="col">Connected</th>
            <th scope="col">Version and labels</th>
            <th scope="col">Vendor CLIs</th>
          </tr>
        </thead>
        <tbody>
          {hosts.map((h) => (
            <tr key={h.connection_id} data-connection={h.connection_id}>
              <td>
                <code>{h.connection_id}</code>
              </td>
              <td data-col="capacity">
                {h.running.length} / {h.capacity}
              </td>
              <td data-col="running">
                {h.running.length === 0
                  ? "idle"
                  : h.running.map((id) => (
                      <Link key={id} to="/runs/$runId" params={{ runId: id }} className="run-id">
                        {id}
                      </Link>
                    ))}
              </td>
              <td title={formatTime(h.last_seen_at)}>{ago(h.last_seen_at, now)}</td>
              <td>{formatTime(h.connected_at)}</td>
              <td>
                {h.version ?? "—"}
                {h.labels.length > 0 && ` · ${h.labels.join(", ")}`}
              </td>
              <td data-col="clis">
                {h.clis.length === 0
                  ? "—"
                  : h.clis.map((c) => (
                      <span
                        key={c.name}
                        className={c.in_tested_range ? "cli" : "cli untested"}
                        title={c.in_tested_range ? undefined : `tested with ${c.tested}`}
                      >
                        {c.name} {c.version}
                        {!c.in_tested_range && " (untested)"}{" "}
                      </span>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
