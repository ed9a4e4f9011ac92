import type { ResultCode } from './result-codes.ts';

/** Payment schemes of the agent API: 0 simple, 1 complex (utility invoice), 2 with choice (contracts). */
export type ServiceType = 0 | 1 | 2;

export interface ServiceField {
  name: string;
  required: boolean;
  title: string;
  regexp: string;
}

/**
 * What `amountFrom − amountTo` (the customer fee the agent takes) may be.
 * none: the two must be equal; any: no rule; range: fixed bounds; percent: at most basis points of amountTo.
 */
export type FeeRule =
  | { kind: 'none' }
  | { kind: 'any' }
  | { kind: 'range'; minMinor: string; maxMinor: string }
  | { kind: 'percent'; maxBasisPoints: number; minMinor?: string };

export interface Service {
  serviceId: string;
  type: ServiceType;
  name: string;
  group: string | null;
  country: string | null;
  currency: string;
  fixedPayment: boolean;
  inputs: ServiceField[];
  displays: ServiceField[];
  minMinor: bigint;
  maxMinor: bigint;
  feeRule: FeeRule;
  enabled: boolean;
  provider: string;
  providerConfig: Record<string, unknown>;
}

/** Checks a fee against the service's rule; true when allowed. */
export function feeAllowed(rule: FeeRule, amountToMinor: bigint, feeMinor: bigint): boolean {
  if (feeMinor < 0n) return false;
  switch (rule.kind) {
    case 'none':
      return feeMinor === 0n;
    case 'any':
      return true;
    case 'range':
      return feeMinor >= BigInt(rule.minMinor) && feeMinor <= BigInt(rule.maxMinor);
    case 'percent': {
      const min = BigInt(rule.minMinor ?? '0');
      const max = (amountToMinor * BigInt(rule.maxBasisPoints)) / 10_000n;
      return feeMinor <= (max > min ? max : min);
    }
  }
}

/** The first input whose value does not match its regexp, or a missing required one. */
export function invalidInput(service: Service, values: Record<string, string | undefined>): ServiceField | undefined {
  for (const field of service.inputs) {
    const value = values[field.name];
    if (value === undefined || value === '') {
      if (field.required) return field;
      continue;
    }
    if (!safeRegExp(field.regexp).test(value)) return field;
  }
  return undefined;
}

/** Whether a value matches an input's regexp, as a check or pay checks it (the console's test box asks the same). */
export function inputMatches(field: ServiceField, value: string): boolean {
  return safeRegExp(field.regexp).test(value);
}

const compiled = new Map<string, RegExp>();
function safeRegExp(source: string): RegExp {
  let re = compiled.get(source);
  if (!re) {
    re = new RegExp(source, 'u');
    compiled.set(source, re);
  }
  return re;
}

export type AmountVerdict = { ok: true } | { ok: false; code: ResultCode };
