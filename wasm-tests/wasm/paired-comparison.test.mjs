// The benchmark's paired comparison of two quantized models (bench/paired-comparison.mjs),
// checked on cases worked by hand.
import { expect, test } from 'vitest';
import { exactMcNemarP, pairedComparison } from '../../bench/paired-comparison.mjs';

test('the exact McNemar p-value is twice the binomial tail of the smaller count', () => {
  expect(exactMcNemarP(0, 0)).toBe(1);
  expect(exactMcNemarP(5, 0)).toBeCloseTo(2 / 32, 12);
  expect(exactMcNemarP(1, 9)).toBeCloseTo((2 * (1 + 10)) / 1024, 12);
  expect(exactMcNemarP(9, 10)).toBe(1);
  expect(exactMcNemarP(10, 20)).toBeCloseTo(0.0987, 4);
});

test('only images where one model leaves the float class can split the two', () => {
  const labels = [0, 1, 2, 3, 4];
  // Float classifies images 0-3 right and image 4 as 3.
  const a = [
    { sample: 1, reference: 1, test: 0 }, // a wrong, b right
    { sample: 2, reference: 2, test: 0 }, // both wrong
    { sample: 4, reference: 3, test: 4 }, // a right, b wrong
  ];
  const b = [
    { sample: 2, reference: 2, test: 1 },
    { sample: 3, reference: 3, test: 0 }, // b wrong, a right
  ];
  expect(pairedComparison(a, b, labels)).toEqual({ onlyA: 2, onlyB: 1, p: 1 });
});

test('float models that classify an image differently are refused', () => {
  const a = [{ sample: 0, reference: 1, test: 2 }];
  const b = [{ sample: 0, reference: 3, test: 2 }];
  expect(() => pairedComparison(a, b, [1])).toThrow('classify image 0 differently (1 and 3)');
});
