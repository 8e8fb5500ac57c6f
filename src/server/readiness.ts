import { withTimeout } from "../cache/timeout.js";
import { unavailableDetail } from "../model/errors.js";

/**
 * /readyz: the gateway is ready when every store it needs answers. Each store contributes one probe; a
 * probe that throws or does not answer within the timeout makes the gateway not ready, with its reason.
 */
export interface ReadinessProbe {
  name: string;
  check(): Promise<void>;
}

/** Runs every probe at once; the list says which did not answer and why (empty: ready). */
export async function checkReadiness(probes: readonly ReadinessProbe[], timeoutMs: number): Promise<string[]> {
  const results = await Promise.all(
    probes.map((probe) =>
      withTimeout(timeoutMs, () => probe.check()).then(
        () => null,
        (err: unknown) => `${probe.name}: ${unavailableDetail(err) ?? (err instanceof Error ? err.message : String(err))}`,
      ),
    ),
  );
  return results.filter((r): r is string => r !== null);
}

/** A probe for a synchronous SQLite handle (forum store, search index, SQLite cache). */
export function sqliteProbe(name: string, db: { get(sql: string): unknown }): ReadinessProbe {
  return { name, check: async () => void db.get("SELECT 1") };
}
