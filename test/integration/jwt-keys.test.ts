import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { createTokenVerifier } from "../../src/auth/jwt.js";
import { loadConfig } from "../../src/config/index.js";

/** Public-key verification from real key files in a temp folder: ES256 PEM, RS256 JWKS, and the algorithm-confusion trap. */
const dir = mkdtempSync(path.join(tmpdir(), "crosswire-jwt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const auth = (input: Record<string, unknown>) => loadConfig({}, { auth: { issuer: "https://idp.test", audience: "crosswire", ...input } }).auth;
const sign = (alg: string, key: Parameters<SignJWT["sign"]>[0], kid?: string) =>
  new SignJWT({ preferred_username: "pk-user" })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setSubject("pk-1").setIssuer("https://idp.test").setAudience("crosswire").setExpirationTime("5m")
    .sign(key);

describe("tokens signed with a public-key algorithm", () => {
  it("accepts an ES256 token verified by the public key in auth.publicKeyFile, and refuses one signed by another key", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const file = path.join(dir, "es256.pem");
    writeFileSync(file, await exportSPKI(publicKey));
    const verifier = await createTokenVerifier(auth({ publicKeyFile: file }));
    expect(await verifier.verify(await sign("ES256", privateKey))).toEqual({ subject: "pk-1", username: "pk-user", name: "pk-user" });
    const other = await generateKeyPair("ES256");
    await expect(verifier.verify(await sign("ES256", other.privateKey))).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });

  it("accepts an RS256 token whose kid is in auth.jwksFile", async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const file = path.join(dir, "jwks.json");
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }] }));
    const verifier = await createTokenVerifier(auth({ jwksFile: file }));
    expect((await verifier.verify(await sign("RS256", privateKey, "k1"))).subject).toBe("pk-1");
  });

  it("refuses an HS256 token whose secret is the configured public key's PEM text (algorithm confusion)", async () => {
    const { publicKey } = await generateKeyPair("RS256");
    const pem = await exportSPKI(publicKey);
    const file = path.join(dir, "rs256.pem");
    writeFileSync(file, pem);
    const verifier = await createTokenVerifier(auth({ publicKeyFile: file }));
    const forged = await sign("HS256", new TextEncoder().encode(pem));
    await expect(verifier.verify(forged)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });

  it("refuses every token when no key is configured (the forum stays read-only)", async () => {
    const verifier = await createTokenVerifier(auth({}));
    expect(verifier.enabled).toBe(false);
    await expect(verifier.verify("a.b.c")).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
  });
});
