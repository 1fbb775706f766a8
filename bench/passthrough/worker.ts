// The `gateway` bench's baseline (bench/README.md): the least a Worker can do between a client and
// a model server. It forwards the request to `UPSTREAM` and hands the answer's body back natively,
// with no authentication, lookup or usage. Started by the bench in a `wrangler dev` of its own, so
// its calls cross the same local proxy as the gateway's; never deployed, no product route.
export default {
  async fetch(req: Request, env: { UPSTREAM: string }): Promise<Response> {
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
