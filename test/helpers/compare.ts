import assert from 'node:assert/strict';
import type { Tensor } from '../../src/tensor/tensor.js';

/** Max abs difference between two arrays, and the reference's max abs. */
export function compareArrays(actual: ArrayLike<number>, expected: ArrayLike<number>): { maxDiff: number; refMax: number; at: number } {
  assert.equal(actual.length, expected.length, 'length mismatch');
  let maxDiff = 0;
  let refMax = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs((actual[i] as number) - (expected[i] as number));
    if (!(d <= maxDiff)) {
      maxDiff = d;
      at = i;
    }
    refMax = Math.max(refMax, Math.abs(expected[i] as number));
  }
  return { maxDiff, refMax, at };
}

/** max|other − reference| ÷ max|reference|. */
export function maxRelative(reference: ArrayLike<number>, other: ArrayLike<number>): number {
  const { maxDiff, refMax } = compareArrays(other, reference);
  return maxDiff / refMax;
}

/** Asserts max|a - e| ≤ rel · max|e| (and shapes equal). */
export function assertClose(actual: Tensor, expected: Tensor, rel: number, label = ''): void {
  assert.deepEqual([...actual.shape], [...expected.shape], `${label}: shape`);
  const { maxDiff, refMax, at } = compareArrays(actual.data, expected.data);
  assert.ok(
    maxDiff <= rel * refMax,
    `${label}: max abs error ${maxDiff.toExponential(3)} at ${at} exceeds ${rel} × ref max ${refMax.toExponential(3)} (ratio ${(maxDiff / refMax).toExponential(3)})`,
  );
}
