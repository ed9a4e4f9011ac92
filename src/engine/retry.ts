/**
 * Exponential backoff with jitter and a ceiling: attempt 1 waits about `baseMs`, each next one twice as long, never
 * more than `maxMs`; the wait is drawn from [50 %, 100 %] of that so that a burst of failures does not retry in step.
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
