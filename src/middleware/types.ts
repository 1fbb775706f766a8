import type { HostTokenClaims } from "../lib/host-token.ts";
import type { Actor, IdempotencyClaim } from "../services/context.ts";

/** The Hono environment of every route: bindings plus what middleware puts on the context. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    auth?: { teamId: string; actor: Extract<Actor, { keyId: string }>; configVersion?: number };
    idempotency?: IdempotencyClaim;
    /** a platform host credential (only on the host websocket route; see middleware/host-token.ts) */
    hostToken?: HostTokenClaims;
  };
};
