/**
 * A service's fee rule as an operator enters it: exact decimal texts (never floats) parsed to minor units, and the
 * fee a sample amount would allow under it. The rule itself is domain/catalog.ts's FeeRule, which check and pay
 * enforce with `feeAllowed` (the customer fee is amountFrom − amountTo); `feeBounds` says the same thing as a range,
 * and the tests hold the two to agree.
 */
import type { FeeRule } from '../domain/catalog.ts';
import { formatAmount, parseAmount } from '../domain/money.ts';
import { ServiceError } from './errors.ts';

/** The largest fee bound: the agent API's 13 integer digits, as for a service's limits. */
const MAX_FEE_MINOR = 999_999_999_999_999n;
const FULL_PERCENT_BASIS_POINTS = 10_000n;

export const FEE_KINDS = ['none', 'any', 'range', 'percent'] as const;
export type FeeKind = (typeof FEE_KINDS)[number];

/** What the console's form, the admin API and the CLI send: amounts and the percent as decimal texts ("5", "2.50"). */
export interface FeeRuleInput {
  kind: string;
  min?: string | undefined;
  max?: string | undefined;
  /** percent: the most the fee may be, in percent of amountTo, at most two decimals ("2.50" = 250 basis points). */
  percent?: string | undefined;
}

const refuse = (code: string, message: string) => new ServiceError('invalid', code, message);

function isFeeKind(kind: string): kind is FeeKind {
  return (FEE_KINDS as readonly string[]).includes(kind);
}

/** An amount ≥ 0 with at most two decimals, within the bound; `what` names it in the refusal. */
function feeAmount(text: string | undefined, what: string): bigint {
  const parsed = parseAmount((text ?? '').trim(), 2, { allowZero: true });
  if (!parsed.ok || parsed.minor > MAX_FEE_MINOR) throw refuse('fee_bad_amount', `${what}: a decimal amount ≥ 0 with at most two decimals`);
  return parsed.minor;
}

export function parseFeeRule(input: FeeRuleInput): FeeRule {
  if (!isFeeKind(input.kind)) throw refuse('fee_bad_kind', `a fee rule is one of ${FEE_KINDS.join(', ')}`);
  switch (input.kind) {
    case 'none':
    case 'any':
      return { kind: input.kind };
    case 'range': {
      const min = feeAmount(input.min, 'min');
      const max = feeAmount(input.max, 'max');
      if (max < min) throw refuse('fee_min_above_max', 'the fee range needs min ≤ max');
      return { kind: 'range', minMinor: min.toString(), maxMinor: max.toString() };
    }
    case 'percent': {
      const percent = parseAmount((input.percent ?? '').trim(), 2, { allowZero: true });
      if (!percent.ok || percent.minor > FULL_PERCENT_BASIS_POINTS) throw refuse('fee_bad_percent', 'percent: 0 to 100 with at most two decimals');
      const minText = input.min?.trim();
      const min = minText ? feeAmount(minText, 'min') : undefined;
      return { kind: 'percent', maxBasisPoints: Number(percent.minor), ...(min !== undefined ? { minMinor: min.toString() } : {}) };
    }
  }
}

/** The rule as decimal texts again, for a form's fields. */
export function feeRuleInput(rule: FeeRule): Required<FeeRuleInput> {
  switch (rule.kind) {
    case 'none':
    case 'any':
      return { kind: rule.kind, min: '', max: '', percent: '' };
    case 'range':
      return { kind: 'range', min: formatAmount(BigInt(rule.minMinor)), max: formatAmount(BigInt(rule.maxMinor)), percent: '' };
    case 'percent':
      return { kind: 'percent', min: rule.minMinor ? formatAmount(BigInt(rule.minMinor)) : '', max: '', percent: formatAmount(BigInt(rule.maxBasisPoints)) };
  }
}

/** The fees the rule allows on amountTo: from `minMinor` to `maxMinor` (null: no upper bound). */
export interface FeeBounds {
  minMinor: bigint;
  maxMinor: bigint | null;
}

export function feeBounds(rule: FeeRule, amountToMinor: bigint): FeeBounds {
  switch (rule.kind) {
    case 'none':
      return { minMinor: 0n, maxMinor: 0n };
    case 'any':
      return { minMinor: 0n, maxMinor: null };
    case 'range':
      return { minMinor: BigInt(rule.minMinor), maxMinor: BigInt(rule.maxMinor) };
    case 'percent': {
      const floor = BigInt(rule.minMinor ?? '0');
      // Rounded down, as feeAllowed rounds: the agent may never take more than the percent says.
      const share = (amountToMinor * BigInt(rule.maxBasisPoints)) / FULL_PERCENT_BASIS_POINTS;
      return { minMinor: 0n, maxMinor: share > floor ? share : floor };
    }
  }
}

export interface FeePreview extends FeeBounds {
  amountToMinor: bigint;
  /** The most the customer may be charged (amountFrom), null when unbounded. */
  maxAmountFromMinor: bigint | null;
}

/** The fee a sample amountTo (a decimal text) would allow; refused like any amount the agent API refuses. */
export function feePreview(rule: FeeRule, amountText: string): FeePreview {
  const amount = parseAmount(amountText.trim(), 2);
  if (!amount.ok) throw refuse('fee_bad_sample', 'the sample amount: a positive decimal with at most two decimals');
  const bounds = feeBounds(rule, amount.minor);
  return { amountToMinor: amount.minor, ...bounds, maxAmountFromMinor: bounds.maxMinor === null ? null : amount.minor + bounds.maxMinor };
}

