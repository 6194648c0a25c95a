import { describe, expect, it } from "vitest";
import { parseIpv4, parseIpv6, urlSafetyProblem } from "../../src/domain/url-safety";

const strict = { allowPrivate: false };
const relaxed = { allowPrivate: true };

describe("urlSafetyProblem (production: ALLOW_PRIVATE_ENDPOINTS=false)", () => {
  it.each([
    "https://example.com/hook",
    "https://hooks.example.co.uk:8443/a/b?c=d",
    "https://93.184.216.34/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://172.32.0.1/", // just outside 172.16/12
    "https://100.128.0.1/", // just outside 100.64/10
    "https://localhost.example.com/", // a real domain that merely starts with "localhost"
  ])("accepts %s", (url) => {
    expect(urlSafetyProblem(url, strict)).toBeNull();
  });

  it.each([
    ["http://example.com/hook", /https/],
    ["ftp://example.com/hook", /https/],
    ["not a url", /absolute http\(s\) URL/],
    ["https://localhost/hook", /localhost/],
    ["https://LOCALHOST./hook", /localhost/],
    ["https://api.localhost/hook", /localhost/],
    ["https://127.0.0.1/", /loopback/],
    ["https://127.255.1.2/", /loopback/],
    ["https://0.0.0.0/", /this network/],
    ["https://10.1.2.3/", /private/],
    ["https://172.16.0.1/", /private/],
    ["https://172.31.255.255/", /private/],
    ["https://192.168.1.1/", /private/],
    ["https://100.64.0.1/", /carrier-grade/],
    ["https://169.254.1.1/", /link-local/],
    ["https://169.254.169.254/latest/meta-data/", /metadata/],
    ["https://metadata.google.internal/computeMetadata/v1/", /metadata/],
    ["https://[fd00:ec2::254]/", /metadata/],
    ["https://[::1]/", /loopback/],
    ["https://[::]/", /unspecified/],
    ["https://[fe80::1]/", /link-local/],
    ["https://[fc00::1]/", /unique-local/],
    ["https://[fdff:ffff::1]/", /unique-local/],
    ["https://[::ffff:127.0.0.1]/", /loopback.*IPv4-mapped/],
    ["https://[::ffff:7f00:1]/", /loopback.*IPv4-mapped/],
    ["https://[0:0:0:0:0:ffff:a00:1]/", /private.*IPv4-mapped/],
    ["https://[::ffff:169.254.169.254]/", /metadata/],
    ["https://[64:ff9b::a9fe:a9fe]/", /metadata.*NAT64/],
    ["https://[2002:7f00:1::]/", /loopback.*6to4/],
    ["https://2130706433/", /loopback/],
    ["https://0177.0.0.1/", /loopback/],
    ["https://0x7f.1/", /loopback/],
    ["https://0x7f000001/", /loopback/],
    ["https://017700000001/", /loopback/],
    ["https://3232235777/", /private/], // 192.168.1.1
    ["https://224.0.0.1/", /multicast/],
    ["https://255.255.255.255/", /broadcast/],
  ])("refuses %s", (url, reason) => {
    expect(urlSafetyProblem(url, strict)).toMatch(reason);
  });
});

describe("urlSafetyProblem (local: ALLOW_PRIVATE_ENDPOINTS=true)", () => {
  it("allows http and private or loopback hosts", () => {
    for (const url of ["http://127.0.0.1:8080/hook", "http://localhost/x", "https://10.0.0.1/", "http://[::1]:9000/"]) {
      expect(urlSafetyProblem(url, relaxed)).toBeNull();
    }
  });

  it("still refuses schemes other than http(s) and non-URLs", () => {
    expect(urlSafetyProblem("file:///etc/passwd", relaxed)).toMatch(/https/);
    expect(urlSafetyProblem("javascript:alert(1)", relaxed)).toMatch(/https/);
    expect(urlSafetyProblem("/relative", relaxed)).toMatch(/absolute/);
  });

  it("refuses credentials embedded in the URL in either mode", () => {
    expect(urlSafetyProblem("https://user:pass@example.com/hook", strict)).toMatch(/credentials/);
    expect(urlSafetyProblem("http://user@127.0.0.1:9/hook", relaxed)).toMatch(/credentials/);
  });
});

describe("address parsers", () => {
  it("parses every inet_aton form of IPv4 to the same number", () => {
    const loopback = 0x7f000001;
    for (const form of ["127.0.0.1", "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7f.0.0.0x1", "0x7F000001"]) {
      expect(parseIpv4(form)).toBe(loopback);
    }
    expect(parseIpv4("256.0.0.1")).toBeNull();
    expect(parseIpv4("1.2.3.4.5")).toBeNull();
    expect(parseIpv4("example.com")).toBeNull();
    expect(parseIpv4("4294967296")).toBeNull();
  });

  it("expands IPv6 with :: and an embedded IPv4", () => {
    expect(parseIpv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("::ffff:127.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIpv6("fe80::1%eth0")).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIpv6("1::2::3")).toBeNull();
    expect(parseIpv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIpv6("12345::")).toBeNull();
  });
});

// Every IPv6 form that embeds or translates an IPv4 address, with a non-public IPv4 (refused) and a public one
// (accepted), plus the special-purpose IPv6 ranges. Hex and dotted spellings both, since URLs allow either.
describe("IPv6 forms (table)", () => {
  const refused: Array<[form: string, host: string, reason: RegExp]> = [
    ["IPv4-mapped ::ffff:0:0/96, dotted", "::ffff:10.0.0.1", /private.*IPv4-mapped/],
    ["IPv4-mapped, hex", "::ffff:a9fe:a9fe", /metadata.*IPv4-mapped/],
    ["IPv4-translated ::ffff:0:0:0/96, dotted", "::ffff:0:127.0.0.1", /loopback.*IPv4-translated/],
    ["IPv4-translated, hex", "0:0:0:0:ffff:0:c0a8:101", /private.*IPv4-translated/],
    ["IPv4-translated, unspecified IPv4", "::ffff:0:0:0", /this network.*IPv4-translated/],
    ["IPv4-compatible ::/96, dotted", "::10.1.2.3", /private.*IPv4-compatible/],
    ["IPv4-compatible, hex", "::a9fe:1", /link-local.*IPv4-compatible/],
    ["NAT64 well-known 64:ff9b::/96, dotted", "64:ff9b::127.0.0.1", /loopback.*NAT64/],
    ["NAT64 well-known, hex", "64:ff9b::ac10:1", /private.*NAT64/],
    ["NAT64 local-use 64:ff9b:1::/48, IPv4 in the last 32 bits", "64:ff9b:1::a00:1", /local-use NAT64/],
    ["NAT64 local-use, a public IPv4 inside", "64:ff9b:1::808:808", /local-use NAT64/],
    ["NAT64 local-use, RFC 6052 /48 layout", "64:ff9b:1:a00:1::", /local-use NAT64/],
    ["6to4 2002::/16", "2002:c0a8:101::1", /private.*6to4/],
    ["6to4, loopback", "2002:7f00:1:ffff::", /loopback.*6to4/],
    ["Teredo 2001::/32, private server", "2001:0:a00:1::1", /private.*Teredo server/],
    ["Teredo, loopback client (bits inverted)", "2001:0:808:808:0:0:80ff:fffe", /loopback.*Teredo client/],
    ["Teredo, metadata client", "2001:0:808:808::5601:5601", /metadata.*Teredo client/],
    ["unique-local fc00::/7", "fd12:3456:789a::1", /unique-local/],
    ["link-local fe80::/10", "fe80::abcd:1", /link-local/],
    ["multicast ff00::/8", "ff05::2", /multicast/],
    ["documentation 2001:db8::/32", "2001:db8:85a3::8a2e:370:7334", /documentation/],
    ["documentation 3fff::/20", "3fff:fff::1", /documentation/],
    ["discard-only 100::/64", "100::1", /discard-only/],
    ["benchmarking 2001:2::/48", "2001:2::1", /benchmarking/],
    ["documentation IPv4 inside IPv4-mapped", "::ffff:203.0.113.9", /documentation.*IPv4-mapped/],
  ];
  it.each(refused)("refuses %s: [%s]", (_form, host, reason) => {
    expect(urlSafetyProblem(`https://[${host}]/hook`, strict)).toMatch(reason);
    // The same host is fine where the deployment allows private targets.
    expect(urlSafetyProblem(`https://[${host}]/hook`, relaxed)).toBeNull();
  });

  const accepted: Array<[form: string, host: string]> = [
    ["IPv4-mapped, public", "::ffff:8.8.8.8"],
    ["IPv4-translated, public", "::ffff:0:8.8.4.4"],
    ["IPv4-compatible, public", "::1.1.1.1"],
    ["NAT64 well-known, public", "64:ff9b::93.184.216.34"],
    ["6to4, public", "2002:808:808::1"],
    ["Teredo, public server and client (8.8.4.4 inverted)", "2001:0:4136:e378:8000:63bf:f7f7:fbfb"],
    ["global unicast", "2606:4700:4700::1111"],
    ["global unicast next to the documentation range", "2001:db9::1"],
    ["global unicast next to 3fff::/20", "3fff:1000::1"],
  ];
  it.each(accepted)("accepts %s: [%s]", (_form, host) => {
    expect(urlSafetyProblem(`https://[${host}]/hook`, strict)).toBeNull();
  });

  it.each(["192.0.2.1", "198.51.100.7", "203.0.113.255"])("refuses the IPv4 documentation address %s", (host) => {
    expect(urlSafetyProblem(`https://${host}/`, strict)).toMatch(/documentation/);
  });
});
