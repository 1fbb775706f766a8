/** Creates `n` runs through `POST /api/v1/agent/runs` over `connections` parallel requests. */
export async function createRuns(
  url: string,
  key: string,
  n: number,
  connections: number,
  body: (i: number) => Record<string, unknown>,
) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${url}/api/v1/agent/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body(i)),
      });
      if (res.status !== 200)
        throw new Error(`POST /agent/runs answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
}
