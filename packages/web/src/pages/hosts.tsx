// Hosts: the machines connected to the team's pools now, what each runs, when each was heard.
import type { HostInfo } from "@ambit/protocol";
import { useQuery } from "@tanstack/react-query";
import { Problem } from "../components/problem.tsx";
import { PoolTable } from "../hosts/pool-table.tsx";
import { client } from "../lib/api.ts";

/** Hosts heartbeat every 10 s; reading as often keeps "last heard" honest without a socket. */
const REFRESH_MS = 5_000;

export function HostsPage() {
  const hosts = useQuery({
    queryKey: ["hosts"],
    queryFn: async () => client.hosts.list(),
    refetchInterval: REFRESH_MS,
  });
  const pools = new Map<string, HostInfo[]>();
  for (const h of hosts.data?.hosts ?? [])
    pools.set(h.worker_id, [...(pools.get(h.worker_id) ?? []), h]);
  return (
    <>
      <h1>Hosts</h1>
      <p className="help">
        Machines connected to your team's pools now (the runner: <code>ambit host</code>). A run
        goes to the pool its <code>worker_host</code> names.
      </p>
      <Problem error={hosts.error} what="Could not list the hosts" />
      {hosts.data && pools.size === 0 && (
        <p className="empty">No host is connected. Runs wait in line until one connects.</p>
      )}
      {[...pools]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([pool, list]) => (
          <PoolTable key={pool} pool={pool} hosts={list} now={hosts.dataUpdatedAt} />
        ))}
    </>
  );
}
