/**
 * Whether a regexp an operator typed may become an input's regexp. Check and pay run it on every request
 * (domain/catalog.ts compiles it with flag `u` and calls `test`), so a bad one is refused before it is stored:
 * it must compile, stay short, be anchored at both ends (the engine tests, it does not add `^…$`), and not backtrack
 * catastrophically. The last is two checks: safe-regex2 (fastify's star-height analysis: no nested quantifiers such
 * as `(a+)+`), then a bounded adversarial probe that runs the regexp on long near-miss strings under a hard time limit
 * (catches what star height misses, such as `(a|a)*` or `\d*\d*\d*x`). The probe blocks this process for at most
 * PROBE_BUDGET_MS, once, when an admin saves.
 */
import vm from 'node:vm';
import safeRegex from 'safe-regex2';

export const MAX_REGEXP_LENGTH = 256;
/** Longer than any value the agent API lets through (account 200, an extra's value less), so the probe over-covers. */
const PROBE_LENGTH = 1_000;
const PROBE_BUDGET_MS = 250;
/** At most this many repetitions in one regexp (safe-regex2's own default is 25). */
const MAX_REPETITIONS = 25;

export type RegexpRefusal = 'regexp_empty' | 'regexp_too_long' | 'regexp_invalid' | 'regexp_not_anchored' | 'regexp_unsafe' | 'regexp_slow';

export type RegexpVerdict = { ok: true } | { ok: false; reason: RegexpRefusal };

export function checkInputRegexp(source: string): RegexpVerdict {
  if (source.length === 0) return { ok: false, reason: 'regexp_empty' };
  if (source.length > MAX_REGEXP_LENGTH) return { ok: false, reason: 'regexp_too_long' };
  let re: RegExp;
  try {
    re = new RegExp(source, 'u');
  } catch {
    return { ok: false, reason: 'regexp_invalid' };
  }
  if (!anchored(source)) return { ok: false, reason: 'regexp_not_anchored' };
  if (!safeRegex(source, { limit: MAX_REPETITIONS })) return { ok: false, reason: 'regexp_unsafe' };
  if (!fastOnProbe(re, source)) return { ok: false, reason: 'regexp_slow' };
  return { ok: true };
}

/** Each top-level alternative starts with `^` and ends with an unescaped `$` (`^a|b$` would match "xb"). */
function anchored(source: string): boolean {
  return topLevelBranches(source).every((branch) => branch.startsWith('^') && endsWithAnchor(branch));
}

function endsWithAnchor(branch: string): boolean {
  if (!branch.endsWith('$')) return false;
  let backslashes = 0;
  for (let i = branch.length - 2; i >= 0 && branch[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 0;
}

/** Splits on `|` outside groups, classes and escapes (the source already compiled, so brackets balance). */
function topLevelBranches(source: string): string[] {
  const branches: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      i++;
    } else if (inClass) {
      if (char === ']') inClass = false;
    } else if (char === '[') {
      inClass = true;
    } else if (char === '(') {
      depth++;
    } else if (char === ')') {
      depth--;
    } else if (char === '|' && depth === 0) {
      branches.push(source.slice(start, i));
      start = i + 1;
    }
  }
  branches.push(source.slice(start));
  return branches;
}

/**
 * Near-miss strings: long runs of one character (or a pair) followed by one that fails, for the characters people
 * type and the regexp's own literals. A backtracking blow-up on any of them exceeds the budget and is refused.
 */
function probes(source: string): string[] {
  const literals = [...new Set(source.replace(/\\[pPu]\{[^}]*\}|\\./gu, '').replace(/[\^$.*+?()[\]{}|]/gu, ''))].slice(0, 20);
  const alphabet = [...new Set(['0', '1', 'a', 'A', 'я', ' ', '-', '.', '_', '@', ...literals])];
  const out: string[] = [];
  for (const char of alphabet) {
    const run = char.repeat(PROBE_LENGTH);
    out.push(run, `${run}!`, `${run}\u0000`, `!${run}`);
  }
  for (const [a, b] of [['0', 'a'], ['a', ' '], ['0', '-'], ['a', '.']] as const) out.push(`${(a + b).repeat(PROBE_LENGTH / 2)}!`);
  return out;
}

function fastOnProbe(re: RegExp, source: string): boolean {
  const context = vm.createContext({ re, strings: probes(source) });
  try {
    vm.runInContext('for (const s of strings) re.test(s);', context, { timeout: PROBE_BUDGET_MS });
    return true;
  } catch {
    return false; // "Script execution timed out": the regexp would hold check and pay as long on such a value
  }
}
