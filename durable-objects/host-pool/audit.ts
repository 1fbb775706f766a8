import { recordAuditSafely } from "../../src/db/audit-log.ts";

/**
 * A host connecting to or leaving the pool, in the team's audit log: the actor is the host, named
 * by the key it connected with (or `container:<run>` for a platform runner container), acting for
 * the key's member. A failure to record is logged and never refuses or keeps a connection.
 */
export function recordHostAudit(
  env: Env,
  action: "host.connect" | "host.disconnect",
  teamId: string,
  host: { pool: string; workerId: string; principal?: string; keyId?: string; conn?: string },
) {
  const id = host.keyId ?? host.principal ?? "host";
  return recordAuditSafely(env, {
    teamId,
    actor: { type: "host", id, name: host.workerId, memberId: host.keyId ? host.principal : null },
    action,
    target: { type: "pool", id: host.pool },
    changes: host.conn ? { connection: { after: host.conn } } : null,
  });
}
