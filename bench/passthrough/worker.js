// The `gateway` bench's baseline (bench/README.md): the least a Worker can do between a client and
// a model server. It forwards the request to `UPSTREAM` and hands the answer's body back natively,
// with no authentication, lookup or usage. The bench runs it twice: in a `wrangler dev` of its own
// (its calls cross the same local proxy as the gateway's) and in a bare `workerd` (no proxy).
// Plain JavaScript, so `workerd` loads it as it is; never deployed, no product route.
export default {
  /** @param {Request} req @param {{ UPSTREAM: string }} env */
  async fetch(req, env) {
    const url = new URL(req.url);
    if (url.pathname === "/healthz") return new Response("ok");
    const res = await fetch(`${env.UPSTREAM}${url.pathname}`, {
      method: req.method,
      headers: { "content-type": "application/json" },
      body: req.method === "POST" ? await req.text() : undefined,
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  },
};
