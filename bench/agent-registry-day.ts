/**
 * The agent's side of the three-way reconciliation bench (`--scenario recon3`, bench/recon.ts): the agent's registry
 * of the generated day of bench/recon-day.ts as CSV, produced line by line from the same formula as the hub's seeded
 * payments (payment i: agentTransactionId FIRST_ID + i, amount `amountOf(i)`) — a Readable the bench pipes into the
 * upload request, never a file nor a string of the whole day — with `planted` cases of each agent-side class:
 * payments listed twice, left out, listed one tiyn off, listed as failed though the hub has them succeeded, and
 * agentTransactionIds the hub never saw. Every planted class has indexes of its own (recon-day.ts's `spreadIndexes`),
 * disjoint from each other and from the provider's plants, so the expected count of each class is exact.
 */
import { Readable } from 'node:stream';
import { formatAmount } from '../src/domain/money.ts';
import { amountOf, FIRST_ID, spreadIndexes, type ReconDay } from './recon-day.ts';

/** agentTransactionIds the agent lists that the hub never saw (the seeded ids are FIRST_ID + i, far below). */
export const UNKNOWN_AGENT_TXN_ID = 890_000_000_000_000_000n;
/** What the agent lists for its unknown ids: 777.00. */
const UNKNOWN_AMOUNT_MINOR = 77_700n;

export const AGENT_REGISTRY_HEADER = 'agentTransactionId,amount,state';

type Day = Pick<ReconDay, 'payments' | 'planted'>;

/** The agent's planted indexes, class by class (shifts 3–6: the provider's plants use 0–2). */
export function agentPlantedIndexes(day: Day): { duplicateAtAgent: number[]; missingAtAgent: number[]; amountAtAgent: number[]; failedAtAgent: number[] } {
  return { duplicateAtAgent: spreadIndexes(day, 3), missingAtAgent: spreadIndexes(day, 4), amountAtAgent: spreadIndexes(day, 5), failedAtAgent: spreadIndexes(day, 6) };
}

/** The classes of the three-way report (the engine's `counts`). */
export type ThreeWayClass = 'matched' | 'missing_at_agent' | 'missing_at_hub' | 'missing_at_provider' | 'amount_mismatch' | 'status_mismatch'
  | 'duplicate_at_provider' | 'duplicate_at_agent';

/**
 * What the three-way reconciliation of the day for the bench's agent (the provider's registry with its duplicates,
 * this agent registry) must find, by the classification's rules, first rule that applies:
 *   duplicate_at_provider — the provider's references listed twice;
 *   duplicate_at_agent    — the agent's ids listed twice;
 *   missing_at_hub        — the agent's unknown ids (one item each); the provider's foreign references name no
 *                           payment of the agent, so a run scoped to the agent (the bench's) leaves them to the run
 *                           without an agent (src/engine/three-way.ts, "Scope");
 *   status_mismatch       — the hub's failed payments the provider lists (the agent lists them failed), and the
 *                           succeeded ones the agent lists as failed;
 *   amount_mismatch       — a tiyn off at the provider, and a tiyn off at the agent;
 *   missing_at_provider   — succeeded, left out by the provider (the agent lists them);
 *   missing_at_agent      — succeeded, listed by the provider, left out by the agent;
 *   matched               — every other succeeded payment of the day.
 */
export function expectedThreeWayCounts(day: Day): Record<ThreeWayClass, number> {
  const n = spreadIndexes(day, 0).length; // the same for every shift on a day of more than 7 × planted payments
  const counts: Record<ThreeWayClass, number> = {
    matched: 0, missing_at_agent: n, missing_at_hub: day.planted, missing_at_provider: n, amount_mismatch: 2 * n,
    status_mismatch: day.planted + n, duplicate_at_provider: n, duplicate_at_agent: n,
  };
  // Items on the hub's succeeded payments: every class but missing_at_hub, and the failed payments' status_mismatch.
  const onSucceeded = Object.entries(counts).reduce((sum, [kind, k]) => (kind === 'missing_at_hub' ? sum : sum + k), 0) - day.planted;
  counts.matched = day.payments - onSucceeded;
  return counts;
}

/** Lines the registry has after its header (every payment once, duplicates twice, omissions never, plus the extras). */
export function agentRegistryLineCount(day: Day): number {
  const planted = agentPlantedIndexes(day);
  return day.payments + planted.duplicateAtAgent.length - planted.missingAtAgent.length + 2 * day.planted;
}

/**
 * The registry's lines, header first, `linesPerChunk` lines per string (the stream's chunks): the day's payments in
 * order with the agent's plants, then the hub's failed payments (listed failed, as the agent was answered), then
 * the unknown ids (listed paid).
 */
export function* agentRegistryChunks(day: Day, linesPerChunk = 2_000): Generator<string> {
  const planted = agentPlantedIndexes(day);
  const twice = new Set(planted.duplicateAtAgent);
  const left = new Set(planted.missingAtAgent);
  const off = new Set(planted.amountAtAgent);
  const failed = new Set(planted.failedAtAgent);
  let chunk: string[] = [AGENT_REGISTRY_HEADER];
  const line = (id: bigint, amountMinor: bigint, state: 'paid' | 'failed') => chunk.push(`${id},${formatAmount(amountMinor)},${state}`);
  for (let i = 0; i < day.payments; i++) {
    if (!left.has(i)) {
      line(FIRST_ID + BigInt(i), amountOf(i) + (off.has(i) ? 1n : 0n), failed.has(i) ? 'failed' : 'paid');
      if (twice.has(i)) line(FIRST_ID + BigInt(i), amountOf(i), 'paid');
    }
    if (chunk.length >= linesPerChunk) {
      yield `${chunk.join('\n')}\n`;
      chunk = [];
    }
  }
  for (let j = 0; j < day.planted; j++) line(FIRST_ID + BigInt(day.payments + j), amountOf(day.payments + j), 'failed');
  for (let j = 0; j < day.planted; j++) line(UNKNOWN_AGENT_TXN_ID + BigInt(j), UNKNOWN_AMOUNT_MINOR, 'paid');
  yield `${chunk.join('\n')}\n`;
}

/** The registry as a byte stream (generated as it is read: back-pressure from the upload paces the generator). */
export function agentRegistryStream(day: Day): Readable {
  return Readable.from(agentRegistryChunks(day), { objectMode: false });
}
