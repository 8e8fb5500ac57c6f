import { readFileSync } from "node:fs";
import { createLocalJWKSet, errors as joseErrors, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config/index.js";
import { UnauthenticatedError } from "../model/errors.js";

/**
 * Users' identities as the frontend's auth provider vouches for them: a JWT in `Authorization: Bearer …`, checked
 * with jose (signature by the configured HS256 secret, RS256/ES256 public key or JWKS file; `iss`, `aud`, `exp`,
 * `nbf`). The gateway never issues tokens. A token that fails any check is refused as a whole (UNAUTHENTICATED),
 * never read as "anonymous", so a client with a broken token learns it at its first write.
 */
export interface Identity {
  /** The configured subject claim: the one stable key of the user (the Author is keyed by it). */
  subject: string;
  username: string;
  name: string;
}

export interface TokenVerifier {
  /** Whether any key is configured; without one, every JWT is refused and the forum stays read-only. */
  readonly enabled: boolean;
  verify(token: string): Promise<Identity>;
}

type AuthConfig = Config["auth"];
type PublicKey = Awaited<ReturnType<typeof importSPKI>>;

/** Keys from config, loaded once at start (a missing or malformed key file stops the gateway with its path). */
function loadKeys(auth: AuthConfig): Array<Uint8Array | PublicKey | JWTVerifyGetKey> {
  const keys: Array<Uint8Array | PublicKey | JWTVerifyGetKey> = [];
  if (auth.hs256Secret) keys.push(new TextEncoder().encode(auth.hs256Secret));
  if (auth.jwksFile) keys.push(createLocalJWKSet(JSON.parse(readFileSync(auth.jwksFile, "utf8")) as Parameters<typeof createLocalJWKSet>[0]));
  return keys;
}

async function loadPublicKeys(auth: AuthConfig): Promise<PublicKey[]> {
  if (!auth.publicKeyFile) return [];
  const pem = readFileSync(auth.publicKeyFile, "utf8");
  const found: PublicKey[] = [];
  // The PEM does not say which algorithm it is for: an RSA key imports for RS256 only, an EC P-256 key for ES256.
  for (const alg of auth.algorithms.filter((a) => a !== "HS256")) {
    try {
      found.push(await importSPKI(pem, alg));
    } catch {
      // not a key of this algorithm
    }
  }
  if (found.length === 0) throw new Error(`auth.publicKeyFile ${auth.publicKeyFile}: not an RS256 or ES256 public key (SPKI PEM) for auth.algorithms`);
  return found;
}

function claimText(payload: JWTPayload, claim: string): string | null {
  const value = payload[claim];
  return typeof value === "string" && value.trim().length > 0 ? value.trim().slice(0, 200) : null;
}

/** Why a token was refused, in words a client developer can act on (jose's codes, never the token itself). */
function refusal(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return "the token has expired";
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token's "${err.claim}" claim is not accepted (${err.reason})`;
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return "the token's signature algorithm is not accepted";
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (err instanceof joseErrors.JWKSNoMatchingKey) return "no configured key matches the token";
  return "the token is malformed or not signed by a configured key";
}

export async function createTokenVerifier(auth: AuthConfig): Promise<TokenVerifier> {
  const keys = [...loadKeys(auth), ...(await loadPublicKeys(auth))];
  const options = {
    algorithms: auth.algorithms,
    clockTolerance: auth.clockToleranceSeconds,
    ...(auth.issuer ? { issuer: auth.issuer } : {}),
    ...(auth.audience ? { audience: auth.audience } : {}),
    requiredClaims: ["exp"],
  };
  return {
    enabled: keys.length > 0,
    async verify(token) {
      if (keys.length === 0) throw new UnauthenticatedError("writing needs a user token, and this gateway accepts none (auth.hs256Secret, auth.publicKeyFile or auth.jwksFile)");
      let payload: JWTPayload | null = null;
      let lastError: unknown = null;
      // Keys are tried in order; an HS256 secret never verifies an RS256 token (the algorithm is checked per key type).
      for (const key of keys) {
        try {
          payload = (await jwtVerify(token, key as Uint8Array, options)).payload;
          break;
        } catch (err) {
          lastError = err;
          // A claim failure is final: another key would verify the same signature and fail the same claim.
          if (err instanceof joseErrors.JWTClaimValidationFailed || err instanceof joseErrors.JWTExpired) break;
        }
      }
      if (!payload) throw new UnauthenticatedError(`Invalid token: ${refusal(lastError)}`);
      const subject = claimText(payload, auth.subjectClaim);
      if (!subject) throw new UnauthenticatedError(`Invalid token: it has no "${auth.subjectClaim}" claim (auth.subjectClaim)`);
      const username = claimText(payload, auth.usernameClaim) ?? subject;
      return { subject, username, name: claimText(payload, auth.nameClaim) ?? username };
    },
  };
}
