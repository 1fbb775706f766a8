import { AppError } from "../../lib/errors.ts";

// Where an outbound webhook may point. Workers cannot resolve a name before fetching it, so the
// guard is on what the URL says: literal addresses in private, loopback, link-local, metadata and
// other non-public ranges, and names that are internal by convention. A public name that resolves
// to a private address is out of its reach (docs/security.md says so).

const INTERNAL_NAMES = /(^|\.)(localhost|internal|local|localdomain|home\.arpa)$/i;

/** Why `url` may not receive webhooks, or null if it may. `allowPrivate`: WEBHOOKS_ALLOW_PRIVATE. */
export function refusedDestination(url: string, allowPrivate: boolean): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "it is not a valid URL";
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return "only http(s) URLs are allowed";
  if (u.username || u.password) return "it may not hold a user name or password";
  if (allowPrivate) return null;
  if (u.protocol !== "https:") return "it must use https";
  const host = u.hostname.toLowerCase().replace(/\.$/, "");
  if (!host.includes(".") && !host.startsWith("[")) return `'${host}' is not a public host name`;
  if (INTERNAL_NAMES.test(host)) return `'${host}' is an internal host name`;
  const v4 = parseV4(host);
  if (v4) return publicV4(v4) ? null : `${host} is not a public address`;
  if (host.startsWith("[")) {
    const v6 = parseV6(host.slice(1, -1));
    if (!v6 || !publicV6(v6)) return `${host} is not a public address`;
  }
  return null;
}

/** Throws `invalid_request` naming the `url` field when it may not receive webhooks. */
export function assertDestination(url: string, allowPrivate: boolean): void {
  const why = refusedDestination(url, allowPrivate);
  if (!why) return;
  throw new AppError(
    "invalid_request",
    `url ${url} cannot receive webhooks: ${why}. Use a public https URL` +
      (allowPrivate
        ? ""
        : " (the platform's WEBHOOKS_ALLOW_PRIVATE allows others, for development)"),
    { errors: [{ path: "url", message: why }] },
  );
}

/** `a.b.c.d` (the WHATWG URL parser has already normalised other IPv4 spellings to this). */
function parseV4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function publicV4([a, b, c]: number[]): boolean {
  // this network, private, loopback, multicast and reserved
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false; // carrier-grade NAT
  if (a === 169 && b === 254) return false; // link-local, cloud metadata (169.254.169.254)
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if (a === 198 && b === 51 && c === 100) return false; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
  return true;
}

/** Eight 16-bit groups, or null. The URL parser writes IPv6 hosts in hex (`[::ffff:7f00:1]`). */
function parseV6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const group = (h: string) => (h ? h.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const head = group(halves[0]);
  const rest = halves.length === 2 ? group(halves[1]) : [];
  const fill = 8 - head.length - rest.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return null;
  const all = [...head, ...Array<number>(fill).fill(0), ...rest];
  return all.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? all : null;
}

function publicV6(g: number[]): boolean {
  if (g.slice(0, 7).every((x) => x === 0)) return false; // :: and ::1
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return publicV4([g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255]); // IPv4-mapped
  if (g[0] === 0x64 && g[1] === 0xff9b) return false; // NAT64 reaches IPv4 of any kind
  if ((g[0] & 0xfe00) === 0xfc00) return false; // unique local
  if ((g[0] & 0xffc0) === 0xfe80) return false; // link-local
  if ((g[0] & 0xff00) === 0xff00) return false; // multicast
  if (g[0] === 0x2001 && g[1] === 0x0db8) return false; // documentation
  return true;
}
