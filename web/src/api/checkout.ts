import { isApiError } from './errors';
import type { Order } from './types';

export type CheckoutSender = (idempotencyKey: string) => Promise<{ order: Order; replayed: boolean }>;

/**
 * One checkout attempt = one Idempotency-Key.
 *  - A second call while a request is in flight joins that request (a double click sends one request).
 *  - After an unknown outcome (network error, 5xx, 429) the same key is kept, so retrying can never
 *    create a second order: the server answers 200 with the first order if it had committed.
 *  - After a definite answer (success, or a 4xx like 409 insufficient stock or an empty cart) the next
 *    call starts a new attempt with a new key.
 *  - `reset()` starts a new attempt explicitly (e.g. the cart changed).
 */
export class CheckoutAttempt {
  private key: string | null = null;
  private inFlight: Promise<{ order: Order; replayed: boolean }> | null = null;
  private readonly send: CheckoutSender;
  private readonly newKey: () => string;

  constructor(send: CheckoutSender, newKey: () => string = () => crypto.randomUUID()) {
    this.send = send;
    this.newKey = newKey;
  }

  get currentKey(): string | null {
    return this.key;
  }

  get pending(): boolean {
    return this.inFlight !== null;
  }

  reset(): void {
    if (!this.inFlight) this.key = null;
  }

  submit(): Promise<{ order: Order; replayed: boolean }> {
    if (this.inFlight) return this.inFlight;
    const key = (this.key ??= this.newKey());
    const p = this.send(key).then(
      (result) => {
        this.key = null;
        return result;
      },
      (err: unknown) => {
        if (isDefiniteFailure(err)) this.key = null;
        throw err;
      },
    );
    this.inFlight = p;
    const clear = () => {
      if (this.inFlight === p) this.inFlight = null;
    };
    p.then(clear, clear);
    return p;
  }
}

function isDefiniteFailure(err: unknown): boolean {
  if (!isApiError(err)) return false;
  return err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429;
}
