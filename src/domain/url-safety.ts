// Outbound URL safety for endpoint and channel URLs: https only, and never an address inside the
// deployment's own network (loopback, private, link-local, cloud metadata), unless the deployment allows it.
//
// Pure: it judges the URL text only. Hostnames are not resolved (a name that resolves to a private address
// is not caught here); production Workers cannot open connections to private addresses anyway.

export interface UrlSafetyOptions {
  /** ALLOW_PRIVATE_ENDPOINTS=true: local development and tests deliver to http:// and loopback receivers. */
  allowPrivate: boolean;
}

/** Returns null when the URL may be used as a delivery target, otherwise a reason fit for an API error. */
export function urlSafetyProblem(rawUrl: string, opts: UrlSafetyOptions): string | null {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return "must be an absolute http(s) URL, like https://example.com/hook";
  }
  // "localhost:9000/hook" parses with the scheme "localhost:": say what is expected, not "use https".
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an absolute http(s) URL, like https://example.com/hook";
  // Credentials in the URL would be stored and echoed in plain text; `auth` keeps them encrypted and masked.
  if (url.username || url.password) return "must not embed credentials (use auth instead)";
  if (opts.allowPrivate) return null;
  if (url.protocol !== "https:") return "must use https (http:// is allowed only when ALLOW_PRIVATE_ENDPOINTS=true)";

  // The WHATWG parser already canonicalises IPv4 written as decimal, octal or hex (2130706433, 0177.0.0.1,
  // 0x7f.1 all become 127.0.0.1) and compresses IPv6; the checks below still parse both forms themselves
  // so that they hold for any host string they are given.
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") && host.endsWith("]")) {
    const groups = parseIpv6(host.slice(1, -1));
    if (!groups) return "has an invalid IPv6 address";
    const why = ipv6Problem(groups);
    return why ? `must not point at ${why}` : null;
  }
  const ipv4 = parseIpv4(host);
  if (ipv4 !== null) {
    const why = ipv4Problem(ipv4);
    return why ? `must not point at ${why}` : null;
  }
  const why = hostnameProblem(host);
  return why ? `must not point at ${why}` : null;
}

const BLOCKED_HOSTNAMES: Record<string, string> = {
  localhost: "localhost",
  "metadata.google.internal": "a cloud metadata service",
  "metadata.goog": "a cloud metadata service",
  "instance-data.ec2.internal": "a cloud metadata service",
};

function hostnameProblem(host: string): string | null {
  if (host === "") return "an empty host";
  if (BLOCKED_HOSTNAMES[host]) return BLOCKED_HOSTNAMES[host]!;
  // RFC 6761: every name under .localhost is loopback.
  if (host.endsWith(".localhost")) return "localhost";
  return null;
}

// --- IPv4 ------------------------------------------------------------------------------------------

/**
 * Parses IPv4 the way inet_aton and URL parsers do: 1 to 4 parts, each decimal, octal (leading 0) or hex
 * (0x), the last part filling the remaining bytes. Returns the address as an unsigned 32-bit number.
 */
export function parseIpv4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length < 1 || parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = Number(part);
    else return null;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return null;
  if (last >= 256 ** (4 - values.length)) return null;
  let address = last;
  values.forEach((v, i) => {
    address += v * 256 ** (3 - i);
  });
  return address;
}

const IPV4_BLOCKS: Array<[base: string, prefix: number, what: string]> = [
  ["0.0.0.0", 8, "a 'this network' address (0.0.0.0/8)"],
  ["10.0.0.0", 8, "a private address (10.0.0.0/8)"],
  ["100.64.0.0", 10, "a shared carrier-grade NAT address (100.64.0.0/10)"],
  ["127.0.0.0", 8, "a loopback address (127.0.0.0/8)"],
  ["169.254.169.254", 32, "a cloud metadata service (169.254.169.254)"],
  ["169.254.0.0", 16, "a link-local address (169.254.0.0/16)"],
  ["172.16.0.0", 12, "a private address (172.16.0.0/12)"],
  ["192.0.0.0", 24, "an IETF protocol assignment (192.0.0.0/24)"],
  ["192.0.2.0", 24, "a documentation address (192.0.2.0/24)"],
  ["192.168.0.0", 16, "a private address (192.168.0.0/16)"],
  ["198.18.0.0", 15, "a benchmarking address (198.18.0.0/15)"],
  ["198.51.100.0", 24, "a documentation address (198.51.100.0/24)"],
  ["203.0.113.0", 24, "a documentation address (203.0.113.0/24)"],
  ["224.0.0.0", 4, "a multicast address (224.0.0.0/4)"],
  ["240.0.0.0", 4, "a reserved or broadcast address (240.0.0.0/4)"],
];

function ipv4Problem(address: number): string | null {
  for (const [base, prefix, what] of IPV4_BLOCKS) {
    const size = 2 ** (32 - prefix);
    const start = parseIpv4(base)!;
    if (address >= start && address < start + size) return what;
  }
  return null;
}

// --- IPv6 ------------------------------------------------------------------------------------------

/** Parses an IPv6 address (with `::` and an optional trailing dotted IPv4) into eight 16-bit groups. */
export function parseIpv6(text: string): number[] | null {
  const addr = text.split("%")[0]!; // a zone id (fe80::1%eth0) does not change the address
  const halves = addr.split("::");
  if (halves.length > 2) return null;
  const parseSide = (side: string): number[] | null => {
    if (side === "") return [];
    const out: number[] = [];
    const pieces = side.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes(".")) {
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(piece)) return null;
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = parseSide(halves[0]!);
  const tail = halves.length === 2 ? parseSide(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function embeddedIpv4(groups: number[], at: number): number {
  return groups[at]! * 65536 + groups[at + 1]!;
}

function ipv6Problem(g: number[]): string | null {
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (g.every((x) => x === 0)) return "the unspecified address (::)";
  if (zeroUpTo(7) && g[7] === 1) return "the loopback address (::1)";
  // Addresses that carry an IPv4 address inside them reach that IPv4 host (through the host's stack, a
  // translator or a tunnel relay): judge the embedded address. The forms are those of RFC 4291, RFC 2765,
  // RFC 6052, RFC 3056 and RFC 4380.
  const embedded = (at: number, kind: string, xor = 0) => {
    const why = ipv4Problem((embeddedIpv4(g, at) ^ xor) >>> 0);
    return why ? `${why} (${kind})` : null;
  };
  if (zeroUpTo(5) && g[5] === 0xffff) return embedded(6, "IPv4-mapped IPv6");
  if (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0) return embedded(6, "IPv4-translated IPv6");
  if (zeroUpTo(6)) return embedded(6, "IPv4-compatible IPv6");
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return embedded(6, "NAT64");
  // Local-use NAT64 (RFC 8215) translates into whatever network its operator runs: never a public target.
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return "a local-use NAT64 address (64:ff9b:1::/48)";
  if (g[0] === 0x2002) return embedded(1, "6to4");
  // Teredo: the server's IPv4 address in plain, the client's with every bit inverted.
  if (g[0] === 0x2001 && g[1] === 0) return embedded(2, "Teredo server") ?? embedded(6, "Teredo client", 0xffffffff);
  if (g[0] === 0x2001 && g[1] === 0x0db8) return "a documentation address (2001:db8::/32)";
  if (g[0] === 0x3fff && g[1]! < 0x1000) return "a documentation address (3fff::/20)";
  if (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return "a discard-only address (100::/64)";
  if (g[0] === 0x2001 && g[1] === 0x0002 && g[2] === 0) return "a benchmarking address (2001:2::/48)";
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && g.slice(2, 7).every((x) => x === 0) && g[7] === 0x254) {
    return "a cloud metadata service (fd00:ec2::254)";
  }
  if ((g[0]! & 0xfe00) === 0xfc00) return "a unique-local address (fc00::/7)";
  if ((g[0]! & 0xffc0) === 0xfe80) return "a link-local address (fe80::/10)";
  if ((g[0]! & 0xffc0) === 0xfec0) return "a site-local address (fec0::/10)";
  if ((g[0]! & 0xff00) === 0xff00) return "a multicast address (ff00::/8)";
  return null;
}
