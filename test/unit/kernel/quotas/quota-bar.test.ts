import { describe, expect, it } from 'vitest';
import { renderQuotaBar } from '../../../../src/kernel/quotas/quota-bar.js';

describe('renderQuotaBar', () => {
  it.each([
    [8, 10, '[████████░░] 8/10 (80%)'],
    [0, 10, '[░░░░░░░░░░] 0/10 (0%)'],
    [10, 10, '[██████████] 10/10 (100%)'],
    [1, 3, '[███░░░░░░░] 1/3 (33%)'],
    [2, 3, '[███████░░░] 2/3 (67%)'],
    [12, 10, '[██████████] 12/10 (120%)'],
    [0, 0, '[░░░░░░░░░░] 0/0 (0%)'],
    [1, 0, '[██████████] 1/0 (100%)'],
  ])('renders %i of %i as %s', (used, limit, expected) => {
    expect(renderQuotaBar(used, limit)).toBe(expected);
  });
});
