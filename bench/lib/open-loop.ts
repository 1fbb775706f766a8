// The senders of the integrations bench: requests at a fixed rate whatever the answers do.

export type Sent = { at: number; ms: number; status: number };

/** `n` requests started `1000/rate` ms apart whatever the answers do (an open loop, as senders). */
export async function openLoop(
  n: number,
  rate: number,
  send: (i: number) => Promise<Response>,
): Promise<Sent[]> {
  const t0 = performance.now();
  const wall0 = Date.now();
  const out: Promise<Sent>[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const start = performance.now();
    const at = wall0 + (start - t0);
    out.push(
      send(i).then(async (res) => {
        await res.arrayBuffer();
        return { at, ms: performance.now() - start, status: res.status };
      }),
    );
  }
  return Promise.all(out);
}
