import { importPKCS8, SignJWT } from "jose";

/**
 * The App's JWT (RS256), accepted only by the `/app…` endpoints: `iat` 60 s back for clock drift,
 * `exp` 9 minutes ahead (GitHub refuses more than 10), `iss` the App id or client id.
 */
export async function createAppJwt(appId: string, privateKeyPem: string, now: number) {
  const key = await importPKCS8(toPkcs8Pem(privateKeyPem), "RS256");
  const iat = Math.floor(now / 1000) - 60;
  return new SignJWT({})
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuedAt(iat)
    .setExpirationTime(iat + 60 + 540)
    .setIssuer(appId)
    .sign(key);
}

/**
 * GitHub hands out PKCS#1 keys (`BEGIN RSA PRIVATE KEY`); WebCrypto and jose import only PKCS#8,
 * so the PKCS#1 DER is wrapped as `PrivateKeyInfo { 0, rsaEncryption, OCTET STRING pkcs1 }`.
 */
export function toPkcs8Pem(pem: string): string {
  if (!pem.includes("BEGIN RSA PRIVATE KEY")) return pem;
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const pkcs1 = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const rsaEncryption = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
  ];
  const body = [0x02, 0x01, 0x00, ...rsaEncryption, 0x04, ...derLength(pkcs1.length), ...pkcs1];
  const der = new Uint8Array([0x30, ...derLength(body.length), ...body]);
  const lines = btoa(String.fromCharCode(...der)).match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}
