import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * WebSub authenticated content distribution (W3C WebSub §8): the hub sends `X-Hub-Signature: <method>=<hex>`,
 * the HMAC of the body with the subscription's `hub.secret`. The methods the spec names: sha1, sha256,
 * sha384, sha512. Compared in constant time.
 */
const METHODS = new Set(["sha1", "sha256", "sha384", "sha512"]);

export function verifySignature(header: string | undefined, body: Buffer, secret: string): boolean {
  if (!header) return false;
  const match = /^(sha1|sha256|sha384|sha512)=([0-9a-f]+)$/i.exec(header.trim());
  if (!match || !METHODS.has(match[1]!.toLowerCase())) return false;
  const expected = createHmac(match[1]!.toLowerCase(), secret).update(body).digest();
  const given = Buffer.from(match[2]!, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function sign(body: Buffer | string, secret: string, method: "sha1" | "sha256" | "sha384" | "sha512" = "sha256"): string {
  return `${method}=${createHmac(method, secret).update(body).digest("hex")}`;
}
