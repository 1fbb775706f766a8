import { DurableObject } from "cloudflare:workers";

/**
 * One per team and worker host: the connected hosts, their capacity and the runs waiting for them.
 * Declared now so the binding and its storage class exist from the first deployment; the dispatch
 * issue (#4) gives it its behaviour. It has no methods yet and nothing calls it.
 */
export class HostPool extends DurableObject<Env> {}
