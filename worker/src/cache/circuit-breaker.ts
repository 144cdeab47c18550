/**
 * A circuit breaker for the cache backend: after `failureThreshold` failures in a row it opens and
 * callers skip Redis for `cooldownMs` (every lookup is a BYPASS, costing nothing); then one trial
 * call is let through (half-open): success closes the breaker, failure opens it again.
 * Pure: the clock is injected, so the state machine is tested without waiting.
 */

export type BreakerState = "closed" | "open" | "half_open";

export interface CircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  /**
   * A trial that never reports back (its request was cancelled, which workerd does when a client
   * goes away) must not keep the breaker open forever: after this long another trial may start.
   * Default: the cool-down, at least 1 s.
   */
  readonly trialTimeoutMs?: number;
  readonly now?: () => number;
}

export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  /** When an open breaker lets the next trial call through (ms since epoch), else undefined. */
  readonly retryAt: number | undefined;
  readonly opened: number;
}

export class CircuitBreaker {
  private stateValue: BreakerState = "closed";
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private trialStartedAt = 0;
  private openedCount = 0;
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly trialTimeoutMs: number;
  private readonly now: () => number;

  constructor(options: CircuitBreakerOptions) {
    this.failureThreshold = Math.max(1, Math.floor(options.failureThreshold));
    this.cooldownMs = Math.max(0, options.cooldownMs);
    this.trialTimeoutMs = options.trialTimeoutMs ?? Math.max(1_000, this.cooldownMs);
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.stateValue === "open" && this.now() - this.openedAt >= this.cooldownMs) return "half_open";
    return this.stateValue;
  }

  /**
   * May the caller try the backend now? In half-open state only one caller at a time gets `true`
   * (the trial); it must report back with recordSuccess/recordFailure.
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    if (this.trialInFlight && this.now() - this.trialStartedAt < this.trialTimeoutMs) return false;
    this.trialInFlight = true;
    this.trialStartedAt = this.now();
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.stateValue = "closed";
  }

  recordFailure(): void {
    this.trialInFlight = false;
    this.failures++;
    const wasTrial = this.stateValue === "open";
    if (wasTrial || this.failures >= this.failureThreshold) {
      this.stateValue = "open";
      this.openedAt = this.now();
      this.openedCount++;
    }
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.failures,
      retryAt: state === "closed" ? undefined : this.openedAt + this.cooldownMs,
      opened: this.openedCount,
    };
  }
}
