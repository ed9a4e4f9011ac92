/**
 * A signal that aborts after `timeoutMs` or when any of `others` aborts; `clear()` stops its timer.
 *
 * Not `AbortSignal.any([AbortSignal.timeout(ms), …])`: on Node 20 the timeout signal inside a composite may be
 * garbage-collected before it fires (nodejs/node#57736), and then a call that should give up after the provider
 * deadline waits for the partner's own answer instead — seen as a pay answered after 15 s instead of at 2 s. Here the
 * timer holds the controller strongly until it fires or is cleared.
 */
export function deadline(timeoutMs: number, ...others: (AbortSignal | undefined)[]): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  const stop = () => clearTimeout(timer);
  for (const other of others) {
    if (!other) continue;
    if (other.aborted) controller.abort(other.reason);
    else other.addEventListener('abort', () => controller.abort(other.reason), { once: true });
  }
  controller.signal.addEventListener('abort', stop, { once: true });
  return { signal: controller.signal, clear: stop };
}
