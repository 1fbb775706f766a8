// Which host connections the pool admits and what each may be given: a runner container's is
// bound to its one run (its credential's claims); any other host to the API key it connected with.
import type { Role } from "@ambit/protocol";
import { createDb } from "../../src/db/client.ts";
import { grantOf, type KeyGrantRow, keyRoleNow } from "../../src/lib/key-role.ts";
import { sessionUidOf } from "../../src/lib/web-session.ts";
import { roleAtLeast } from "../../src/lib/roles.ts";
import { chooseHost, type HostLoad } from "./choose.ts";
import { heldGet, type HeldEntry, type LineEntry, lineFirst, lineGet } from "./storage.ts";

/** The run execution a runner container's connection is bound to (its host credential's claims). */
export type BoundRun = { runId: string; executionId: number };

/** What the pool keeps of a host connection that decides what it may be given. */
export type ConnBinding = {
  principal?: string;
  single?: boolean;
  bound?: BoundRun;
  served?: boolean;
  key_id?: string;
};

export type Admission =
  | { ok: true }
  | { ok: false; status: 403 | 409; code: "not_authorized" | "conflict"; message: string };

export const containerPrincipal = (runId: string) => `container:${runId}`;

/**
 * Whether a runner container's credential for `bound` may open a connection now: only while its
 * run's execution waits in line (for this container) or is held by this run's container (a runner
 * whose socket dropped, reconnecting), and only if no connection of it is open already. Checked
 * with no await between it and accepting the socket, so two connections cannot both pass.
 */
export function admitContainer(sql: SqlStorage, open: ConnBinding[], bound: BoundRun): Admission {
  const { runId, executionId } = bound;
  if (open.some((c) => c.bound?.runId === runId)) {
    return {
      ok: false,
      status: 409,
      code: "conflict",
      message: `a runner container for run ${runId} is already connected; a host credential opens one connection at a time (retry once that one closed)`,
    };
  }
  const waiting = lineGet(sql, runId);
  const held = heldGet(sql, runId);
  if (
    waiting?.execution_id === executionId ||
    (held?.execution_id === executionId && held.principal === containerPrincipal(runId))
  )
    return { ok: true };
  return {
    ok: false,
    status: 403,
    code: "not_authorized",
    message: `this host credential was for execution ${executionId} of run ${runId}, which is no longer waiting for or held by its container (it ended, another host took it, or a newer execution began); it cannot connect again`,
  };
}

/** Whether a connection may be given this run: a runner container's takes its own run's execution and nothing else. */
export function mayTake(conn: ConnBinding, run: { run_id: string; execution_id: number }): boolean {
  if (!conn.single) return true;
  return conn.bound?.runId === run.run_id && conn.bound.executionId === run.execution_id;
}

/**
 * Whether a reconnected connection that says it still runs `held` takes it over: a runner
 * container only its own run, from its own earlier connection; any other host a run of its worker
 * id that no container holds.
 */
export function mayAdopt(conn: ConnBinding & { worker_id: string }, held: HeldEntry): boolean {
  if (conn.single) return mayTake(conn, held) && held.principal === conn.principal;
  return held.worker_id === conn.worker_id && !held.principal?.startsWith(containerPrincipal(""));
}

/**
 * The run to assign next and where: the head of the line (the first not waiting to be tried again
 * after a failed try), to a host that may take it (any but a
 * runner container started for another run); else a run further back whose own runner container
 * is connected and free (it may take nothing else, so it takes no one's turn). `loads`: the given
 * connections as the host choice sees them.
 */
export function nextPick<C extends { state: ConnBinding }>(
  sql: SqlStorage,
  conns: C[],
  loads: (some: C[]) => HostLoad[],
): { next: LineEntry; choice: HostLoad } | null {
  const head = lineFirst(sql);
  if (!head) return null;
  const choice = chooseHost(loads(conns.filter((c) => mayTake(c.state, head))));
  if (choice) return { next: head, choice };
  for (const { conn, entry } of ownRunsWaiting(sql, conns)) {
    const own = chooseHost(loads([conn]));
    if (own) return { next: entry, choice: own };
  }
  return null;
}

/** The connected runner containers not yet given their run whose run waits in line, earliest in line first. */
function ownRunsWaiting<C extends { state: ConnBinding }>(
  sql: SqlStorage,
  conns: C[],
): { conn: C; entry: LineEntry }[] {
  return conns
    .filter((c) => c.state.bound && !c.state.served)
    .map((c) => ({ conn: c, entry: lineGet(sql, c.state.bound!.runId) }))
    .filter(
      (c): c is { conn: C; entry: LineEntry } =>
        c.entry !== null &&
        (c.entry.retry_at ?? 0) <= Date.now() && // a failed try waits its turn (dispatch.ts `give`)
        mayTake(c.conn.state, c.entry),
    )
    .sort((a, b) => a.entry.enqueued_at - b.entry.enqueued_at);
}

/**
 * Whether the API key a host connected with still admits it (valid, admin): checked before each run
 * it is given. A runner container has no key: its credential was checked against its run at connect.
 * `row`: the key's row, read in the assignment's batch (assignment-reads.ts): answered at once; a
 * web session's standing is read here (a promise).
 */
export function hostKeyAdmits(
  env: Env,
  teamId: string,
  conn: ConnBinding,
  row: KeyGrantRow | null,
): boolean | Promise<boolean> {
  if (!conn.key_id || !conn.principal) return true;
  const key = { teamId, keyId: conn.key_id, principalId: conn.principal };
  const admits = (role: Role | null) => role !== null && roleAtLeast(role, "admin");
  // an API key's row came with the batch: the answer is at hand
  if (sessionUidOf(key.keyId) === undefined)
    return admits(grantOf(row, key, Date.now())?.role ?? null);
  return keyRoleNow(createDb(env.DB), key).then(admits);
}
