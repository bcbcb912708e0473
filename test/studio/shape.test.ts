/**
 * The pure data shaping of the studio views: the model view's rows (constants dropped, CAM
 * candidates marked, search) and result.json of `lucerna dissect` (labels per channel, detectors,
 * bad files refused with one line).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageFrame } from '../../src/disentangle/qa/frame.js';
import { imageToModel, modelToImage, QaSession } from '../../src/disentangle/qa/index.js';
import { centerCropGeometry } from '../../src/io/preprocess.js';
import type { ModelSummary } from '../../src/onnx/inspect.js';
import { parseDissection, unitLabels } from '../../src/studio/shape/dissection.js';
import { layerRows } from '../../src/studio/shape/model-rows.js';
import { patchWindow } from '../../src/studio/shape/patch-window.js';
import { marginText, meanNormalisedError, partTruth, qaPool } from '../../src/studio/shape/qa-pool.js';
import { unitTops } from '../../src/studio/shape/unit-tops.js';

const summary = {
  nodes: [
    { name: 'conv1', opType: 'Conv', domain: '', inputs: ['x'], outputs: [{ name: 'c1', shape: [1, 8, 16, 16], constant: false, cam: 'layer' }] },
    { name: 'shape', opType: 'Shape', domain: '', inputs: ['c1'], outputs: [{ name: 's', shape: [4], constant: true }] },
    { name: 'relu1', opType: 'Relu', domain: '', inputs: ['c1'], outputs: [{ name: 'r1', shape: [1, 8, 16, 16], constant: false, cam: 'default' }] },
    { name: 'fc', opType: 'Gemm', domain: '', inputs: ['r1'], outputs: [{ name: 'logits', constant: false }] },
  ],
} as unknown as ModelSummary;

describe('studio model view rows', () => {
  it('lists outputs that depend on the input, with shapes and CAM candidates', () => {
    assert.deepEqual(
      layerRows(summary).map((r) => [r.index, r.op, r.tensor, r.shape, r.cam ?? '']),
      [
        [1, 'Conv', 'c1', '1×8×16×16', 'layer'],
        [3, 'Relu', 'r1', '1×8×16×16', 'default'],
        [4, 'Gemm', 'logits', '?', ''],
      ],
    );
    assert.deepEqual(
      layerRows(summary, { camOnly: true }).map((r) => r.tensor),
      ['c1', 'r1'],
    );
    assert.deepEqual(
      layerRows(summary, { search: 'GEMM' }).map((r) => r.tensor),
      ['logits'],
    );
  });
});

describe('studio dissection result', () => {
  const result = {
    model: 'm.onnx',
    dataset: 'broden',
    layers: [
      {
        layer: 'Relu_33',
        counts: { threshold: 0.04 },
        units: [
          { unit: 1, category: 'part', label: 'head', score: 0.12, iou: {} },
          { unit: 2, category: 'object', label: 'bird', score: 0.01, iou: {} },
        ],
      },
    ],
  };

  it('labels channels (0-based) and marks detectors at the threshold', () => {
    const d = parseDissection(JSON.stringify(result));
    const labels = unitLabels(d, 'Relu_33');
    assert.deepEqual(labels?.get(0), { channel: 0, label: 'head', category: 'part', iou: 0.12, interpretable: true });
    assert.equal(labels?.get(1)?.interpretable, false);
    assert.equal(unitLabels(d, 'other'), undefined);
  });

  it('refuses a file that is not a dissection result with one line', () => {
    assert.throws(() => parseDissection('{oops'), /result\.json: not valid JSON/);
    assert.throws(() => parseDissection('{"nodes":[]}'), /no "layers" list/);
    assert.throws(() => parseDissection(JSON.stringify({ layers: [{ layer: 'x', units: [{ unit: 0, score: 1 }] }] })), /a unit has no number/);
  });
});

describe('studio QA pool', () => {
  const listing = {
    images: [
      { path: 'images/a.png', url: '/a', split: 'train' },
      { path: 'images/b.png', url: '/b', split: 'val' },
      { path: 'images/c.png', url: '/c', split: 'val' },
      { path: 'images/d.png', url: '/d', split: 'train' },
    ],
    landmarks: [
      { image: 'images/a.png', part: 'head', x: 1, y: 2 },
      { image: 'images/c.png', part: 'head', x: 3, y: 4 },
      { image: 'images/d.png', part: 'tail', x: 5, y: 6 },
    ],
  };

  it('asks about images with the part first, validation before training', () => {
    assert.deepEqual(
      qaPool(listing, 'head', 3).map((im) => im.path),
      ['images/c.png', 'images/a.png', 'images/b.png'],
    );
    assert.deepEqual(partTruth(listing, 'head').get('images/c.png'), [3, 4]);
    assert.equal(qaPool(listing, 'head', 0).length, 0);
  });

  it('scores guesses by mean distance over the diagonal', () => {
    assert.equal(
      meanNormalisedError(
        [
          [
            [0, 0],
            [3, 4],
          ],
          [
            [1, 1],
            [1, 1],
          ],
        ],
        10,
      ),
      0.25,
    );
    assert.equal(meanNormalisedError([], 10), undefined);
  });
});

describe('studio unit top patches', () => {
  const filter = (x: number, y: number, value: number) => ({ x: [x], y: [y], value: [value] });
  it('ranks images per channel by their peak and drops images where the unit is silent', () => {
    const peaks = [[[filter(1, 1, 0.5), filter(2, 2, 0)]], [[filter(3, 3, 0.9), filter(4, 4, 0.2)]], [[filter(5, 5, 0.7), filter(6, 6, 0.1)]]];
    const tops = unitTops(peaks, 2);
    assert.deepEqual(
      tops[0]?.hits.map((h) => [h.image, h.x, h.value]),
      [
        [1, 3, 0.9],
        [2, 5, 0.7],
      ],
    );
    assert.deepEqual(
      tops[1]?.hits.map((h) => h.image),
      [1, 2],
    );
  });
});

describe('studio image frame: clicks on the shown image ↔ model pixels, per preprocessing', () => {
  it('stretch scales each axis, with no offset', () => {
    const frame = imageFrame([64, 48], [32, 32], 'stretch');
    assert.deepEqual(frame, { scale: [0.5, 32 / 48], offset: [0, 0] });
    assert.deepEqual(imageToModel(frame, [64, 48]), [32, 32]);
  });

  it('center-crop scales the short side to fit and offsets by the crop corner, as the decoder draws it', () => {
    const frame = imageFrame([640, 480], [224, 224], 'center-crop');
    const g = centerCropGeometry(640, 480, 224, 224);
    assert.deepEqual(frame.offset, [37, 0]);
    assert.deepEqual(frame.scale, [g.resizeWidth / 640, 224 / 480]);
    // The crop's left edge in the picture maps to model x = 0, its centre to the model's centre.
    const left = 37 / (g.resizeWidth / 640);
    assert.ok(Math.abs((imageToModel(frame, [left, 0])[0] as number) - 0) < 1e-9);
    const [cx, cy] = imageToModel(frame, [320, 240]);
    assert.ok(Math.abs(cx - 112) <= 0.5 && Math.abs(cy - 112) < 1e-9, `${cx}, ${cy}`);
    // A stretch-only mapping would put the picture's centre-right point elsewhere: the fix matters.
    const stretch = imageFrame([640, 480], [224, 224], 'stretch');
    assert.ok(Math.abs((imageToModel(stretch, [480, 240])[0] as number) - (imageToModel(frame, [480, 240])[0] as number)) > 10);
    for (const p of [
      [0, 0],
      [123.5, 401],
      [639, 479],
    ] as const) {
      const back = modelToImage(frame, imageToModel(frame, p));
      assert.ok(Math.abs(back[0] - p[0]) < 1e-9 && Math.abs(back[1] - p[1]) < 1e-9);
    }
  });

  it('a QA session takes clicks and hands out guesses in image px through the frame', () => {
    const frame = imageFrame([80, 40], [32, 32], 'center-crop'); // scale 0.8, crop from x = 16
    const units = { x: [10], y: [20], value: [1] };
    const images = ['a', 'b', 'c'].map((id) => ({ id, units, ...frame }));
    const session = new QaSession(images, { inputSize: [32, 32] });
    // The part is 5 model px right of the unit: image x = (15 + 16) / 0.8.
    session.answer('a', { kind: 'here', x: 31 / 0.8, y: 20 / 0.8 });
    assert.deepEqual(session.records[0]?.part, [15, 20]);
    const g = session.guess('b').guess;
    assert.ok(Math.abs(g[0] - 31 / 0.8) < 1e-9 && Math.abs(g[1] - 25) < 1e-9, `${g}`);
  });
});

describe('studio top-patch window', () => {
  it('centres the window on the peak and slides it inside the picture at the edges, so no margin shows', () => {
    // 64×64 picture: a 16 px window shown at 64 px (zoom 4)
    assert.deepEqual(patchWindow([64, 64], [32, 20], 64), { size: [256, 256], position: [-96, -48] });
    assert.deepEqual(patchWindow([64, 64], [2, 62], 64), { size: [256, 256], position: [0, -192] });
    // a wide picture: the window is a quarter of the short side, and every corner stays inside
    for (const at of [
      [0, 0],
      [119, 79],
      [60, 40],
      [-5, 90],
    ] as const) {
      const w = patchWindow([120, 80], at, 64);
      assert.deepEqual(w.size, [384, 256]);
      for (const a of [0, 1] as const) {
        assert.ok(w.position[a] <= 0, `${at}: window starts before the picture`);
        assert.ok(w.position[a] >= -(w.size[a] - 64), `${at}: window ends after the picture`);
      }
    }
  });
});

describe('studio QA margin', () => {
  it('states how many questions each selection needs to reach random selection’s final error', () => {
    assert.equal(marginText({ error: 0.03, random: 10, active: 2 }), 'To reach random selection’s final error (0.0300): random needs 10 questions, active 2.');
    assert.match(marginText({ error: 0.03, random: 10, active: null }), /active does not within them/);
  });
});
