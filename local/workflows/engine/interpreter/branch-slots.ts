/**
 * The execution-wide limit on parallel branches and iterations running at once (20 per the quotas
 * page): a counting semaphore whose waiters are served in arrival order, so queued branches start
 * in the order their parallel steps asked for them.
 */
class BranchSlots {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly capacity: number) {
    this.free = capacity;
  }

  /** Waits for a free slot; rejects with the signal's reason when the execution is aborted meanwhile. */
  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal.reason);
      };
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free += 1;
  }

  /** Slots in use (for tests). */
  get inUse(): number {
    return this.capacity - this.free;
  }
}

export { BranchSlots };
