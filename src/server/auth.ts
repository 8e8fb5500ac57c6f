import { timingSafeEqual } from "node:crypto";

/** True when an Authorization header carries the configured admin token (constant-time comparison). */
export function isAdminRequest(authorization: string | undefined, adminToken: string | undefined): boolean {
  if (!adminToken || !authorization?.startsWith("Bearer ")) return false;
  const given = Buffer.from(authorization.slice("Bearer ".length).trim());
  const expected = Buffer.from(adminToken);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
