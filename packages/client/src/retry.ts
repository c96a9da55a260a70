// Retries of retriable failures with exponential backoff, bounded by a deadline (delivery.timeout.ms,
// default.api.timeout.ms). The last error is rethrown when the deadline passes or an error is final.
import { isRetriable, RequestTimeoutError } from './errors.ts';

export interface RetryOptions {
  deadlineMs: number;
  /** retry.backoff.ms: the first wait; doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs?: number;
  /** Called before each retry, e.g. to refresh metadata. */
  onRetry?: (err: unknown) => void;
  signal?: AbortSignal;
}

export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  let backoffMs = options.backoffMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const remainingMs = options.deadlineMs - Date.now();
      if (!isRetriable(err) || options.signal?.aborted) throw err;
      if (remainingMs <= 0) {
        throw err instanceof Error ? err : new RequestTimeoutError(`Gave up after retries: ${String(err)}`);
      }
      options.onRetry?.(err);
      await delay(Math.min(backoffMs, remainingMs), options.signal);
      backoffMs = Math.min(backoffMs * 2, options.maxBackoffMs ?? 1_000);
    }
  }
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
