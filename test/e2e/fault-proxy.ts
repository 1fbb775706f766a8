// A TCP proxy between a client under test and a real server, to inject transport faults the
// server cannot: drop a connection after the server answered (so the client never sees the
// answer of a committed request), cut every open connection (websockets and streams included), or
// make them go silent without closing, as a dead link does.
import net from "node:net";

export type SeenRequest = { requestLine: string; idempotencyKey?: string; dropped: boolean };

export class FaultProxy {
  /** Every request head that went through, in order. */
  readonly seen: SeenRequest[] = [];
  private drops: Array<{ prefix: string; left: number }> = [];
  private readonly open = new Set<net.Socket>();
  private readonly frozen = new WeakSet<net.Socket>();
  private blocked = false;

  private readonly server: net.Server;
  readonly url: string;

  // plain fields, no parameter properties: `npm run chaos` runs this file with Node's type stripping
  private constructor(server: net.Server, url: string) {
    this.server = server;
    this.url = url;
  }

  static async start(upstreamPort: number): Promise<FaultProxy> {
    let proxy!: FaultProxy;
    const server = net.createServer((client) => proxy.handle(client, upstreamPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    proxy = new FaultProxy(
      server,
      `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    );
    return proxy;
  }

  /** The next `count` requests whose request line starts with `prefix` reach the server, whose answer is then thrown away with the connection. */
  dropAnswers(prefix: string, count = 1) {
    this.drops.push({ prefix, left: count });
  }

  /** Every open connection goes silent both ways without closing, as a dead link does; new connections work. */
  freezeAll() {
    for (const s of this.open) this.frozen.add(s);
  }

  /** Destroys every open connection (both sides), as a network failure would. */
  cutAll() {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  /** Cuts every connection and refuses new ones until `restore()`, as a network that is gone does. */
  blockAll() {
    this.blocked = true;
    this.cutAll();
  }

  restore() {
    this.blocked = false;
  }

  requests(prefix: string) {
    return this.seen.filter((r) => r.requestLine.startsWith(prefix));
  }

  async stop() {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(client: net.Socket, upstreamPort: number) {
    if (this.blocked) return void client.destroy();
    const upstream = net.connect(upstreamPort, "127.0.0.1");
    this.open.add(client).add(upstream);
    let dropThisAnswer = false;
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on("data", (chunk) => {
      if (this.frozen.has(client)) return;
      const head = chunk.toString("latin1");
      const requestLine = /^[A-Z]+ \S+ HTTP\/1\.1/.exec(head)?.[0];
      if (requestLine) {
        const rule = this.drops.find((d) => d.left > 0 && requestLine.startsWith(d.prefix));
        if (rule) {
          rule.left--;
          dropThisAnswer = true;
        }
        const idempotencyKey = /\r\nidempotency-key: *([^\r\n]+)/i.exec(head)?.[1];
        this.seen.push({ requestLine, idempotencyKey, dropped: dropThisAnswer });
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (this.frozen.has(upstream)) return;
      if (dropThisAnswer) return destroyBoth(); // the server answered: it committed; the client never hears it
      client.write(chunk);
    });
    client.on("close", destroyBoth);
    upstream.on("close", destroyBoth);
    client.on("error", () => {});
    upstream.on("error", () => {});
  }
}
