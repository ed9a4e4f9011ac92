/**
 * /docs carries the result-code table with finality, generated from domain/result-codes.ts, and cites nothing that
 * the repository does not hold.
 */
import { describe, expect, it } from 'vitest';
import { RESULT_INFO, isFinal, type ResultCode } from '../../../src/domain/result-codes.ts';
import { agentApiDocument, resultCodeTable } from '../../../src/gateways/agent-api/openapi.ts';

const description = (agentApiDocument().info as { description: string }).description;

describe('the agent API description (/docs)', () => {
  it('has one row per result code, with its finality and default message', () => {
    const table = resultCodeTable();
    expect(description).toContain(table);
    const rows = table.split('\n').slice(2);
    expect(rows).toHaveLength(Object.keys(RESULT_INFO).length);
    for (const [text, info] of Object.entries(RESULT_INFO)) {
      const code = Number(text) as ResultCode;
      const row = rows.find((line) => line.startsWith(`| ${code} |`));
      expect(row, `code ${code}`).toBeDefined();
      expect(row).toContain(`| ${isFinal(code) ? 'final' : 'not final'} |`);
      expect(row).toContain(`| ${info.message} |`);
    }
  });

  it('lists the non-final codes the partner document names: 1, 153, 220, 255', () => {
    const notFinal = resultCodeTable().split('\n').filter((line) => line.includes('| not final |')).map((line) => Number(line.split('|')[1]));
    expect(notFinal).toEqual([1, 153, 220, 255]);
  });

  it('refers to nothing outside the repository', () => {
    const text = JSON.stringify(agentApiDocument());
    expect(text).not.toMatch(/specs\/|\.\.\/shared|Table 1/);
    expect(text).toContain('docs/protocols/agent-api.md');
  });
});
