import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resizeAxes } from '../../src/compiler/rules/resize.js';
import { blockFactor, type ResizeMode, resizeAxisMatrix } from '../../src/compiler/rules/resize-matrix.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { type AttrValue, float } from '../../src/onnx/attributes.js';
import { buildModel, type GraphBuilder } from '../../src/onnx/builder.js';
import { gradCheck, rng, uniform } from '../helpers/gradcheck.js';

/** How a case asks for its output size: scales or sizes (both over all axes unless `axes` is set). */
interface SizeSpec {
  readonly name: string;
  readonly scales?: number[];
  readonly sizes?: number[];
  readonly roi?: number[];
  readonly attrs?: Record<string, AttrValue>;
}

const X_SHAPE = [1, 2, 5, 7];

const sizeSpecs: SizeSpec[] = [
  { name: 'scales ×2', scales: [1, 1, 2, 2] },
  { name: 'scales ×3 and ×1.5', scales: [1, 1, 3, 1.5] },
  { name: 'scales 0.6 and 0.5 (downsampling)', scales: [1, 1, 0.6, 0.5] },
  { name: 'sizes 8×4', sizes: [1, 2, 8, 4] },
  { name: 'sizes 3×11', sizes: [1, 2, 3, 11] },
  { name: 'sizes to one row', sizes: [1, 2, 1, 9] },
  { name: 'axes [2, 3] with sizes', sizes: [9, 4], attrs: { axes: [2, 3] } },
  { name: 'axes [-1] with scales', scales: [2.5], attrs: { axes: [-1] } },
  { name: 'keep_aspect_ratio_policy not_larger', sizes: [9, 20], attrs: { axes: [2, 3], keep_aspect_ratio_policy: 'not_larger' } },
  { name: 'keep_aspect_ratio_policy not_smaller', sizes: [9, 20], attrs: { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' } },
];

function resizeNode(b: GraphBuilder, x: string, spec: SizeSpec, attrs: Record<string, AttrValue>, output: string): void {
  const roi = spec.roi ? b.constFloat(spec.roi, [spec.roi.length]) : '';
  const scales = spec.scales ? b.constFloat(spec.scales, [spec.scales.length]) : '';
  const sizes = spec.sizes ? [b.constInt64(spec.sizes)] : [];
  b.op('Resize', [x, roi, scales, ...sizes], { ...attrs, ...spec.attrs }, { outputs: [output] });
}

/** y = A_axis · x along every axis, on the CPU (the reference the matrices must reproduce). */
function applyMatrices(x: Float32Array, shape: readonly number[], matrices: { m: Float64Array; out: number }[]): { data: Float64Array; shape: number[] } {
  let data = Float64Array.from(x);
  const dims = [...shape];
  matrices.forEach(({ m, out }, axis) => {
    const inLen = dims[axis] as number;
    const outer = dims.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = dims.slice(axis + 1).reduce((p, d) => p * d, 1);
    const next = new Float64Array(outer * out * inner);
    for (let a = 0; a < outer; a++)
      for (let o = 0; o < out; o++)
        for (let i = 0; i < inLen; i++) {
          const w = m[o * inLen + i] as number;
          if (w === 0) continue;
          for (let c = 0; c < inner; c++) {
            const k = (a * out + o) * inner + c;
            next[k] = (next[k] as number) + w * (data[(a * inLen + i) * inner + c] as number);
          }
        }
    data = next;
    dims[axis] = out;
  });
  return { data, shape: dims };
}

/** Runs every size spec through ORT's Resize and through our matrices, and compares. */
async function forwardMatches(attrs: Record<string, AttrValue>, mode: ResizeMode, specs: SizeSpec[], shape = X_SHAPE): Promise<void> {
  const x = uniform(
    shape.reduce((p, d) => p * d, 1),
    rng(7),
  );
  const outputs = specs.map((_, i) => `y${i}`);
  const bytes = buildModel({
    opset: 19,
    inputs: [{ name: 'x', dims: shape }],
    outputs,
    build: (b) => {
      specs.forEach((spec, i) => {
        resizeNode(b, 'x', spec, attrs, `y${i}`);
      });
    },
  });
  const session = await nodeRuntime.createSession(bytes, { optimization: 'disabled' });
  try {
    const result = await session.run({ x: { data: x, shape } });
    specs.forEach((spec, i) => {
      const y = result[`y${i}`];
      assert.ok(y, `no output for ${spec.name}`);
      const axes = resizeAxes({
        inShape: shape,
        outShape: y.dims,
        scales: spec.scales,
        sizes: spec.sizes,
        roi: spec.roi,
        axes: spec.attrs?.axes as number[] | undefined,
        policy: spec.attrs?.keep_aspect_ratio_policy as string | undefined,
      });
      const ours = applyMatrices(
        x,
        shape,
        axes.map((a) => ({ m: resizeAxisMatrix(a, mode), out: a.outLen })),
      );
      assert.deepEqual(ours.shape, [...y.dims], spec.name);
      ours.data.forEach((v, k) => {
        const theirs = (y.data as Float32Array)[k] as number;
        assert.ok(Math.abs(v - theirs) < 2e-5, `${spec.name}: output ${k} is ${theirs} in ORT, ${v} from the matrices`);
      });
    });
  } finally {
    await session.dispose();
  }
}

const modeOf = (attrs: Record<string, string | number>): ResizeMode => ({
  mode: (attrs.mode as string) ?? 'nearest',
  coordinateTransformation: (attrs.coordinate_transformation_mode as string) ?? 'half_pixel',
  nearestMode: (attrs.nearest_mode as string) ?? 'round_prefer_floor',
  cubicCoeffA: (attrs.cubic_coeff_a as number) ?? -0.75,
  excludeOutside: attrs.exclude_outside === 1,
});

const transformations = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'half_pixel_symmetric', 'tf_half_pixel_for_nn'];
const nearestModes = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

describe('Resize interpolation matrices reproduce ONNX Runtime', () => {
  for (const coordinate_transformation_mode of transformations) {
    for (const nearest_mode of nearestModes) {
      const attrs = { mode: 'nearest', coordinate_transformation_mode, nearest_mode };
      it(`nearest ${nearest_mode}, ${coordinate_transformation_mode}`, () => forwardMatches(attrs, modeOf(attrs), sizeSpecs));
    }
    const linear = { mode: 'linear', coordinate_transformation_mode };
    it(`linear, ${coordinate_transformation_mode}`, () => forwardMatches(linear, modeOf(linear), sizeSpecs));
    for (const exclude_outside of [0, 1]) {
      const cubic = { mode: 'cubic', coordinate_transformation_mode, exclude_outside, cubic_coeff_a: -0.5 };
      const attrs = { ...cubic, cubic_coeff_a: float(-0.5) };
      it(`cubic, ${coordinate_transformation_mode}, exclude_outside ${exclude_outside}`, () => forwardMatches(attrs, modeOf(cubic), sizeSpecs.slice(0, 6)));
    }
  }
  const crops: SizeSpec[] = [
    { name: 'roi inside', sizes: [1, 2, 6, 4], roi: [0, 0, 0.2, 0.1, 1, 1, 0.9, 0.7] },
    { name: 'roi beyond the edges (extrapolation)', sizes: [1, 2, 7, 9], roi: [0, 0, -0.3, 0.4, 1, 1, 1.2, 1.5] },
    { name: 'roi with axes', scales: [1.6, 0.8], roi: [0.1, -0.2, 0.8, 1.1], attrs: { axes: [2, 3] } },
  ];
  for (const mode of ['nearest', 'linear', 'cubic']) {
    const attrs = { mode, coordinate_transformation_mode: 'tf_crop_and_resize' };
    it(`${mode}, tf_crop_and_resize`, () => forwardMatches(attrs, modeOf(attrs), crops));
  }
  const upsampling = [...sizeSpecs.slice(0, 2), { name: 'sizes 8×11', sizes: [1, 2, 8, 11] }];
  for (const mode of ['linear', 'cubic']) {
    const attrs = { mode, antialias: 1 };
    it(`${mode} upsampling with antialias (no effect)`, () => forwardMatches(attrs, modeOf(attrs), upsampling));
  }
  it('nearest over a 3-D input and a 1-D input', async () => {
    const attrs = { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
    await forwardMatches(attrs, modeOf(attrs), [{ name: '3-D', scales: [1, 2, 0.5] }], [2, 3, 6]);
    await forwardMatches(attrs, modeOf(attrs), [{ name: '1-D', sizes: [11] }], [4]);
  });
});

describe('Resize axes and block detection', () => {
  it('derives scales from sizes and the aspect-ratio policy like ORT', () => {
    const axes = resizeAxes({ inShape: [1, 1, 4, 8], outShape: [1, 1, 6, 12], sizes: [6, 20], axes: [2, 3], policy: 'not_larger' });
    assert.deepEqual(
      axes.map((a) => a.scale),
      [1, 1, 1.5, 1.5],
    );
  });
  it('recognises nearest ×k upsampling as block replication', () => {
    const nearest = modeOf({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    assert.equal(blockFactor(resizeAxisMatrix({ inLen: 3, outLen: 6, scale: 2, roiStart: 0, roiEnd: 1 }, nearest), 3, 6), 2);
    const linear = modeOf({ mode: 'linear' });
    assert.equal(blockFactor(resizeAxisMatrix({ inLen: 3, outLen: 6, scale: 2, roiStart: 0, roiEnd: 1 }, linear), 3, 6), undefined);
  });
});

async function resizeGrad(attrs: Record<string, AttrValue>, spec: SizeSpec, shape = [1, 2, 4, 5]): Promise<void> {
  await gradCheck({ opset: 19, inputs: [{ name: 'x', shape }], output: 'y', build: (b) => resizeNode(b, 'x', spec, attrs, 'y') });
}

describe('Resize gradient against finite differences', () => {
  const specs: SizeSpec[] = [
    { name: 'scales ×2', scales: [1, 1, 2, 2] },
    { name: 'sizes 7×3', sizes: [1, 2, 7, 3] },
  ];
  for (const coordinate_transformation_mode of ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric']) {
    for (const spec of specs) {
      for (const nearest_mode of nearestModes) {
        it(`nearest ${nearest_mode}, ${coordinate_transformation_mode}, ${spec.name}`, () =>
          resizeGrad({ mode: 'nearest', coordinate_transformation_mode, nearest_mode }, spec));
      }
      it(`linear, ${coordinate_transformation_mode}, ${spec.name}`, () => resizeGrad({ mode: 'linear', coordinate_transformation_mode }, spec));
    }
  }
  it('cubic, exclude_outside 1, downsampling', () =>
    resizeGrad({ mode: 'cubic', exclude_outside: 1, cubic_coeff_a: float(-0.5) }, { name: 'sizes 3×9', sizes: [1, 1, 3, 9] }, [1, 1, 5, 6]));
  it('linear, tf_crop_and_resize with extrapolated rows', () =>
    resizeGrad(
      { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' },
      { name: 'roi', sizes: [1, 2, 6, 7], roi: [0, 0, -0.3, 0.2, 1, 1, 1.2, 0.9] },
    ));
  it('nearest ×2 over H only (a block axis next to an untouched one)', () =>
    resizeGrad({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, { name: 'scales ×2, ×1', scales: [1, 1, 2, 1] }));
  it('linear over NHWC (axis 1 moved by transposes)', () =>
    resizeGrad({ mode: 'linear', coordinate_transformation_mode: 'align_corners' }, { name: 'NHWC sizes', sizes: [1, 6, 3, 3] }, [1, 4, 5, 3]));
  it('linear over a 2-D input', () => resizeGrad({ mode: 'linear' }, { name: '2-D', sizes: [7, 3] }, [4, 5]));
  it('nearest over a 3-D input', () => resizeGrad({ mode: 'nearest' }, { name: '3-D', scales: [1, 2.5, 0.7] }, [2, 3, 6]));
  it('same size is the identity', () => resizeGrad({ mode: 'linear' }, { name: 'same', scales: [1, 1, 1.1, 1.1] }));
  it('linear upsampling with antialias', () => resizeGrad({ mode: 'linear', antialias: 1 }, { name: 'aa', scales: [1, 1, 2, 1.5] }));
  it('rejects antialiased downsampling with a clear error', async () => {
    await assert.rejects(resizeGrad({ mode: 'linear', antialias: 1 }, { name: 'aa', scales: [1, 1, 0.5, 0.5] }, [1, 1, 4, 6]), /downsamples with antialias=1/);
  });
});
