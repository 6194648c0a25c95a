import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signatureHeader, signOnce } from "../../src/domain/signing";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const PAYLOAD = '{"test": 2432232314}';

describe("Standard Webhooks signer", () => {
  it("matches the spec's test vector", async () => {
    expect(await signOnce(SECRET, ID, TS, PAYLOAD)).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("is verified by the standardwebhooks package, with each of two secrets during a rotation", async () => {
    const other = "whsec_" + btoa("another-secret-of-32-bytes-long!");
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ hello: "world", n: 1 });
    const header = await signatureHeader([SECRET, other], ID, now, body);
    expect(header.split(" ")).toHaveLength(2);
    const headers = { "webhook-id": ID, "webhook-timestamp": String(now), "webhook-signature": header };
    expect(new Webhook(SECRET).verify(body, headers)).toEqual({ hello: "world", n: 1 });
    expect(new Webhook(other).verify(body, headers)).toEqual({ hello: "world", n: 1 });
    // A changed body must not verify.
    expect(() => new Webhook(SECRET).verify(body + " ", headers)).toThrow();
    // And a third, unrelated secret must not verify either.
    const stranger = "whsec_" + btoa("a-completely-different-secret!!!");
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow();
  });

  it("refuses to sign without a secret", async () => {
    await expect(signatureHeader([], ID, TS, PAYLOAD)).rejects.toThrow();
  });
});
