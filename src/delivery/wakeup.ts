// Wakes a drain that waits for its attempts in flight when new work is admitted, so the new work starts
// at once instead of after the next attempt ends (at a steady stream, that wait was most of a delivery's
// time in the object).

export class Wakeup {
  private waiting: { promise: Promise<void>; resolve: () => void } | null = null;

  /** Resolves at the next notify(); everyone waiting meanwhile shares the one promise. */
  next(): Promise<void> {
    if (this.waiting === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }

  notify(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve();
  }
}
