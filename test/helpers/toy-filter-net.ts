/**
 * The toy net of the filter-loss training tests: 1×6×6 input → 3×3 conv (4 filters, output `r`
 * after ReLU) → global average pool → 2-class fc (`logits`). Draws its weights from `random`, so a
 * caller that keeps drawing from the same generator sees the same sequence as before.
 */

import { buildModel, graphFromBytes } from '../../src/onnx/builder.js';
import type { Graph } from '../../src/onnx/graph.js';
import { uniform } from './gradcheck.js';

export function toyFilterNet(random: () => number): Graph {
  return graphFromBytes(
    buildModel({
      inputs: [{ name: 'in', dims: ['N', 1, 6, 6] }],
      outputs: ['logits'],
      build: (b) => {
        const c = b.op('Conv', ['in', b.weight('w', uniform(4 * 9, random, -0.5, 0.5), [4, 1, 3, 3]), b.weight('bias', [0.1, 0.1, 0.1, 0.1], [4])], {
          pads: [1, 1, 1, 1],
        });
        const r = b.op('Relu', [c], {}, { outputs: ['r'] });
        const pooled = b.op('Flatten', [b.op('GlobalAveragePool', [r])]);
        b.op('Gemm', [pooled, b.weight('fc', uniform(8, random), [2, 4]), b.weight('fcb', [0, 0], [2])], { transB: 1 }, { outputs: ['logits'] });
      },
    }),
  );
}
