/** The console's texts of the three-way explanations name the same values as the engine's English templates. */
import { describe, expect, it } from 'vitest';
import { EXPLANATIONS, MONEY_EFFECTS } from '../../src/engine/three-way-actions.ts';
import { reasonIn } from '../../src/console/three-way-texts.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('three-way explanations in the console', () => {
  it('fill every placeholder of every key in every language', () => {
    const values = { state: 'failed', n: '2', txn: '7', reference: 'R-1', ref: 'P-1', amount: '1.00 KZT', agentAmount: '2.00 KZT', providerAmount: '3.00 KZT' };
    for (const key of Object.keys(EXPLANATIONS) as (keyof typeof EXPLANATIONS)[]) {
      for (const effect of Object.keys(MONEY_EFFECTS) as (keyof typeof MONEY_EFFECTS)[]) {
        for (const lang of ['ru', 'en'] as const) {
          const shown = reasonIn(lang, { key, effect, values });
          expect(shown.explanation, `${lang} ${key}`).not.toMatch(/\{\w+\}/);
          expect(shown.moneyEffect, `${lang} ${effect}`).not.toMatch(/\{\w+\}/);
        }
        expect(placeholders(reasonIn('ru', { key, effect, values: {} }).moneyEffect)).toEqual(placeholders(MONEY_EFFECTS[effect]));
      }
      expect(placeholders(reasonIn('ru', { key, effect: 'none', values: {} }).explanation), key).toEqual(placeholders(EXPLANATIONS[key]));
    }
  });
});
