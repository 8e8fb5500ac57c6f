/** Contracts of the cluster primitives; src/cluster/lease.ts (Redis) and lock.ts implement them. */

/** A named, expiring, exclusive lease shared by the processes of a cluster (src/cluster/lease.ts: Redis). */
export interface Lease {
  /** Takes the lease, or null when another holder has it. Kept (renewed) until released. */
  acquire(name: string): Promise<LeaseHandle | null>;
}

export interface LeaseHandle {
  release(): Promise<void>;
}
