import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "../helpers/api.ts";

// The bench-only meter (src/lib/meter.ts) must cost production nothing: without AMBIT_METER=1
// (which wrangler.toml never sets) it has no route and patches no binding.
describe("the billable-operation meter", () => {
  it("is off without AMBIT_METER=1: no route, the D1 session's sender untouched", async () => {
    expect((env as { AMBIT_METER?: string }).AMBIT_METER).toBeUndefined();
    const res = await call("GET", "/api/__meter");
    expect(res.status).toBe(404);
    const session = (env.DB as unknown as { alwaysPrimarySession: object }).alwaysPrimarySession;
    let proto = Object.getPrototypeOf(session);
    while (proto && !Object.hasOwn(proto, "_send")) proto = Object.getPrototypeOf(proto);
    expect(proto, "workerd's D1 session has a _send (the meter wraps it)").toBeTruthy();
    expect((proto._send as { metered?: true }).metered).toBeUndefined();
  });
});
