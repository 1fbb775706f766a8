// The GitHub kind's crypto in workerd itself (its Node tests, test/node/integrations/github/, run
// the same code on Node's WebCrypto): the signature check and the App JWT from a PKCS#1 key.
import { importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createAppJwt } from "../../src/integrations/github/app-jwt.ts";
import { githubKind } from "../../src/integrations/github/index.ts";

const pem = (label: string, der: ArrayBuffer | Uint8Array) =>
  `-----BEGIN ${label}-----\n${btoa(String.fromCharCode(...new Uint8Array(der)))
    .match(/.{1,64}/g)
    ?.join("\n")}\n-----END ${label}-----\n`;

describe("GitHub kind in workerd", () => {
  it("verifies GitHub's published signature vector", async () => {
    const out = await githubKind.verify({
      headers: new Headers({
        "x-hub-signature-256":
          "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "x-github-delivery": "d-1",
        "x-github-event": "ping",
      }),
      body: new TextEncoder().encode("Hello, World!"),
      credentials: { token: "t", webhook_secret: "It's a Secret to Everybody" },
      now: Date.now(),
    });
    expect(out).toEqual({ ok: true, deliveryId: "d-1", event: "ping" });
  });

  it("signs the App JWT with a PKCS#1 key as GitHub hands it out", async () => {
    const pair = (await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(
      (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer,
    );
    // a 2048-bit key's PrivateKeyInfo holds its PKCS#1 RSAPrivateKey from byte 26 on
    const pkcs1 = pem("RSA PRIVATE KEY", pkcs8.slice(26));
    const spki = pem(
      "PUBLIC KEY",
      (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer,
    );
    const jwt = await createAppJwt("42", pkcs1, Date.now());
    const { payload } = await jwtVerify(jwt, await importSPKI(spki, "RS256"), { issuer: "42" });
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(600);
  });
});
