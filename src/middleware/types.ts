import type { AuditNote } from "../lib/audit-note.ts";
import type { AppError } from "../lib/errors.ts";
import type { HostTokenClaims } from "../lib/host-token.ts";
import type { Actor, IdempotencyClaim } from "../services/context.ts";

/** How a route whose answer holds a secret treats an idempotent retry (see middleware/idempotency.ts). */
export type SecretAnswer =
  | { retry: "reexecute" }
  | { retry: "withhold"; what: string; hint: string };

/** The Hono environment of every route: bindings plus what middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    auth?: {
      teamId: string;
      actor: Extract<Actor, { keyId: string }>;
      configVersion?: number;
      /** an API key's audit actor name, read with the key (services/authenticate.ts) */
      auditName?: string;
    };
    idempotency?: IdempotencyClaim;
    /** set by `answerHoldsSecret` on routes whose answer must never be stored */
    secretAnswer?: SecretAnswer;
    /** what a write adds to its audit entry (middleware/audit.ts) */
    audit?: AuditNote;
    /** a platform host credential (only on the host websocket route; see middleware/host-token.ts) */
    hostToken?: HostTokenClaims;
    /**
     * the request's session cookie names no live session (and it sent no key): the 401 to answer
     * where a credential is needed
     */
    sessionEnded?: AppError;
  };
};
