// How the panels write numbers: a ratio of a time that read 0 ms is a dash, never NaN or Infinity.
import { expect, test } from 'vitest';
import { ms, ratio } from '../../web/src/ui/format.ts';

test('ratios are written only between positive, finite numbers', () => {
  expect(ratio(3, 2)).toBe('1.50x');
  for (const [a, b] of [[0, 0], [1, 0], [0, 1], [NaN, 1], [1, Infinity], [-1, 2]]) expect(ratio(a, b)).toBe('—');
});

test('milliseconds below 1 keep two significant digits', () => {
  expect(ms(12.345)).toBe('12.35 ms');
  expect(ms(0.0042)).toBe('0.0042 ms');
});
