import { ServiceUnavailableError } from "../model/errors.js";

/** Resolves or rejects as `call` does, or rejects with "no answer within <ms> ms" once `timeoutMs` have passed. */
export async function withTimeout<T>(timeoutMs: number, call: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([call(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Races a store call against `timeoutMs`: a shared store (Redis, PostgreSQL) that is down or stuck must not
 * hold a request or a poll forever. Any failure (timeout, refused, offline) becomes ServiceUnavailableError,
 * which GraphQL reports as SERVICE_UNAVAILABLE on the field that needed the store.
 */
export async function withStoreTimeout<T>(store: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(timeoutMs, call);
  } catch (err) {
    if (err instanceof ServiceUnavailableError) throw err;
    throw new ServiceUnavailableError(store, err instanceof Error ? err.message : String(err));
  }
}
