/**
 * The hand-made two-layer model of the explanatory-graph tests, over the marker set
 * (`test/datasets/marker-set.ts`: a red dot on the eye, a blue dot anywhere).
 */
import { buildModel } from '../../src/onnx/builder.js';
import { SIZE } from '../datasets/marker-set.js';

/** conv1 1×1 (red, blue detectors) → relu1 → 2×2 max pool → conv2 1×1 (scaled copy) → relu2 → global max. */
export function twoLayerModel(scale = 1): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', dims: ['N', 3, SIZE, SIZE] }],
    outputs: ['logits'],
    build: (b) => {
      const c1 = b.op('Conv', ['x', b.weight('w1', [1, -1, -1, -1, -1, 1], [2, 3, 1, 1])], {}, { outputs: ['conv1'] });
      b.op('Relu', [c1], {}, { outputs: ['relu1'] });
      b.op('MaxPool', ['relu1'], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: ['pool'] });
      const c2 = b.op('Conv', ['pool', b.weight('w2', [scale, 0, 0, scale], [2, 2, 1, 1])], {}, { outputs: ['conv2'] });
      b.op('Relu', [c2], {}, { outputs: ['relu2'] });
      const g = b.op('GlobalMaxPool', ['relu2']);
      b.op('Flatten', [g], {}, { outputs: ['logits'] });
    },
  });
}
