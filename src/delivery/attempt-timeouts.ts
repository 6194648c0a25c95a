// Attempt timeouts for one EndpointDO with a single timer, armed for the earliest deadline. A timer per attempt
// costs two calls into the runtime's timer list (set, then clear) on every attempt — measurable at thousands
// of attempts per second — and workerd refuses new timers past 10,000 live ones per object.

export interface AttemptDeadline {
  /** Aborted with a TimeoutError once the attempt's time is up. */
  signal: AbortSignal;
  /** The attempt ended: its deadline is forgotten (the timer stays for the others, and goes with the last). */
  end(): void;
}

export class AttemptTimeouts {
  /** Attempts in flight and when each times out. */
  private readonly deadlines = new Map<AbortController, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the armed timer fires (Infinity: none armed). */
  private timerAt = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  start(timeoutMs: number): AttemptDeadline {
    const controller = new AbortController();
    const at = this.now() + timeoutMs;
    this.deadlines.set(controller, at);
    if (at < this.timerAt) this.arm(at);
    return { signal: controller.signal, end: () => this.end(controller) };
  }

  /** Attempts in flight with a deadline (for tests and inspection). */
  get size(): number {
    return this.deadlines.size;
  }

  /** Whether a timer is armed: never once no attempt is in flight, so no timer outlives the attempts. */
  get armed(): boolean {
    return this.timer !== null;
  }

  private end(controller: AbortController): void {
    this.deadlines.delete(controller);
    if (this.deadlines.size === 0 && this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      this.timerAt = Infinity;
    }
  }

  private arm(at: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
  }

  /** Aborts every attempt past its deadline and arms the timer for the next one (none: no timer). */
  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.now();
    let next = Infinity;
    for (const [controller, at] of this.deadlines) {
      if (at <= now) {
        this.deadlines.delete(controller);
        controller.abort(new DOMException("attempt timed out", "TimeoutError"));
      } else if (at < next) {
        next = at;
      }
    }
    if (next !== Infinity) this.arm(next);
  }
}
