/** A Durable Object's response has immutable headers; this copy lets middleware add its own (x-request-id). */
export const mutableResponse = (res: Response) =>
  new Response(res.body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
    webSocket: res.webSocket,
  });
