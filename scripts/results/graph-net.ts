/**
 * The network of the explanatory graph's ordering test (`test/disentangle/graph-ordering.test.ts`;
 * RESULTS.md now mines `lucerna model create vgg11-bn --width 0.125`, the same shape): VGG-11
 * with BatchNorm (Simonyan & Zisserman 2015, https://arxiv.org/abs/1409.1556) at 1/8 of its width (8, 16, 32, 32, 64, 64, 64, 64 channels,
 * 2×2 max pooling after conv 1, 2, 4, 6 and 8), then global average pooling and a 64-unit hidden
 * layer. The paper mines VGG-16's top conv layers; this is the same shape at a size that the 64-px
 * parts figures and a shared CPU allow (the icnn helper's recipe showed it generalises on them).
 * Its ReLU outputs are named `relu1` … `relu8`.
 */
import { batchNorm, conv, globalPoolFlat, type LayerContext, linear, maxPool } from '../../src/models/layers.js';
import { buildModel } from '../../src/onnx/builder.js';
import { seededRandom } from '../../src/tensor/random.js';

/** Channels of the eight conv layers, and after which of them (1-based) a 2×2 max pool follows. */
export const GRAPH_NET_CHANNELS = [8, 16, 32, 32, 64, 64, 64, 64] as const;
const POOL_AFTER = new Set([1, 2, 4, 6, 8]);

/**
 * Builds the untrained network as ONNX bytes (input `input` [batch, 3, size, size], output `logits`).
 *
 * @example
 * ```ts
 * writeFileSync('net.onnx', graphNet(3, 64, 0));
 * ```
 */
export function graphNet(classes: number, size: number, seed: number): Uint8Array {
  return buildModel({
    opset: 17,
    inputs: [{ name: 'input', dims: ['batch', 3, size, size] }],
    outputs: ['logits'],
    build: (b) => {
      const ctx: LayerContext = { b, random: seededRandom(seed) };
      let t = 'input';
      let inC = 3;
      GRAPH_NET_CHANNELS.forEach((outC, i) => {
        const k = i + 1;
        const bn = batchNorm(ctx, conv(ctx, t, { name: `conv${k}`, inC, outC, k: 3, pad: 1, bias: false }), `bn${k}`, outC);
        t = b.op('Relu', [bn], {}, { name: `/relu${k}/Relu`, outputs: [`relu${k}`] });
        if (POOL_AFTER.has(k)) t = maxPool(ctx, t, 2);
        inC = outC;
      });
      const hidden = b.op('Relu', [linear(ctx, globalPoolFlat(ctx, t), 'fc1', inC, 64)]);
      linear(ctx, hidden, 'fc2', 64, classes, 'logits');
    },
  });
}
