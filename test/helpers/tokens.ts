import { SignJWT } from "jose";

/** The HS256 secret the write tests (and docs/writing.md) configure: 32+ characters, test-only. */
export const TEST_SECRET = "crosswire-example-secret-change-me-0123456789";
export const TEST_ISSUER = "https://auth.crosswire.test";
export const TEST_AUDIENCE = "crosswire";

/** A user token as an auth provider would issue it; `overrides` make the bad ones. */
export async function userToken(
  sub: string,
  overrides: { secret?: string; issuer?: string; audience?: string; expiresIn?: string | number; name?: string } = {},
): Promise<string> {
  return new SignJWT({ name: overrides.name ?? `User ${sub}`, preferred_username: sub })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuer(overrides.issuer ?? TEST_ISSUER)
    .setAudience(overrides.audience ?? TEST_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(overrides.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(overrides.secret ?? TEST_SECRET));
}

/** An unsigned token (`alg: none`), which must never be accepted. */
export function unsignedToken(sub: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({ sub, iss: TEST_ISSUER, aud: TEST_AUDIENCE, exp: now + 3600 })}.`;
}
