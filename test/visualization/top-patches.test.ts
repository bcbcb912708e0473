/**
 * Top-activating patches: on a synthetic folder where one image holds the pattern a channel
 * detects, that image ranks first, at the right unit, cropped to the unit's receptive field;
 * unreadable images are skipped and counted; the heap keeps the k best.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Model } from '../../src/engine/model.js';
import { isLucernaError } from '../../src/errors.js';
import { encodeRgbPng, loadImageTensor, type RgbImage } from '../../src/io/image.js';
import { seededRandom } from '../../src/tensor/random.js';
import { cropBox } from '../../src/visualization/montage.js';
import { TopK } from '../../src/visualization/top-k.js';
import { type ImageSource, topPatches } from '../../src/visualization/top-patches.js';
import { EDGE_CHANNEL, HORIZONTAL_EDGE_CHANNEL, loadEdgeModel, SHALLOW_LAYER } from './models.js';

const SIZE = 32;

function picture(fill: (y: number, x: number) => number, seed: number): RgbImage {
  const u = seededRandom(seed);
  const rgb = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++)
      for (let c = 0; c < 3; c++) rgb[(y * SIZE + x) * 3 + c] = Math.round(Math.min(255, Math.max(0, fill(y, x) + (u() - 0.5) * 10)));
  return { rgb, width: SIZE, height: SIZE };
}

/** A grey picture with a square at rows and columns 8…23 whose halves are dark and bright. */
function square(split: (y: number, x: number) => boolean, seed: number): RgbImage {
  return picture((y, x) => (y >= 8 && y < 24 && x >= 8 && x < 24 ? (split(y, x) ? 255 : 0) : 128), seed);
}

/**
 * Writes the synthetic folder. Pixels are normalised to [−1, 1] ('symmetric'), so the model's zero
 * padding is mid-grey and grey backgrounds make no edges at the border. One image holds a strong
 * vertical edge (dark left, bright right), one a strong horizontal edge; the rest are plain.
 */
async function writeFolder(dir: string): Promise<string[]> {
  const images: Record<string, RgbImage> = {
    'a-flat.png': picture(() => 128, 1),
    'b-ramp.png': picture((_y, x) => 100 + x * 2, 2),
    'c-dark-square.png': square(() => false, 3),
    'd-vertical-edge.png': square((_y, x) => x >= 16, 4),
    'e-horizontal-edge.png': square((y) => y >= 16, 5),
    'f-noise.png': picture(() => 128, 6),
  };
  for (const [name, image] of Object.entries(images)) writeFileSync(join(dir, name), await encodeRgbPng(image.rgb, image.width, image.height));
  writeFileSync(join(dir, 'g-broken.png'), 'not a png at all');
  return [...Object.keys(images), 'g-broken.png'].sort();
}

describe('top-activating patches', () => {
  let model: Model;
  let dir: string;
  let names: string[];
  const loads = new Map<string, number>();
  const sources = (): ImageSource[] =>
    names.map((name) => ({
      name,
      load: async () => {
        loads.set(name, (loads.get(name) ?? 0) + 1);
        const { tensor, image } = await loadImageTensor(join(dir, name), { size: [SIZE, SIZE], normalization: 'symmetric' });
        return { tensor, image };
      },
    }));

  before(async () => {
    model = await loadEdgeModel(SIZE);
    dir = mkdtempSync(join(tmpdir(), 'lucerna-patches-'));
    names = await writeFolder(dir);
  });
  after(async () => {
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the image with the detected pattern ranks first, at the unit on the pattern, with its receptive field', async () => {
    loads.clear();
    const warnings: string[] = [];
    const progress: number[] = [];
    const result = await topPatches(model, sources(), {
      layer: SHALLOW_LAYER,
      channels: [EDGE_CHANNEL, HORIZONTAL_EDGE_CHANNEL, 5],
      k: 3,
      batchSize: 4,
      onWarning: (w) => warnings.push(w),
      onProgress: (n) => progress.push(n),
    });
    assert.equal(result.images, 6);
    assert.equal(result.skipped.length, 1);
    assert.equal(result.skipped[0]?.image, 'g-broken.png');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /^Skipped g-broken\.png: Cannot decode/);
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(result.receptiveField, { stride: [1, 1], start: [-1, -1], size: [3, 3], global: false });

    const vertical = result.channels.find((c) => c.channel === EDGE_CHANNEL)?.patches ?? [];
    assert.equal(vertical.length, 3);
    const best = vertical[0];
    assert.equal(best?.image, 'd-vertical-edge.png');
    assert.ok(best && (best.x === 15 || best.x === 16) && best.y >= 9 && best.y <= 22, `unit at (${best?.y}, ${best?.x})`);
    assert.deepEqual(best?.box, { top: (best?.y ?? 0) - 1, left: (best?.x ?? 0) - 1, bottom: (best?.y ?? 0) + 1, right: (best?.x ?? 0) + 1 });
    assert.ok((vertical[0]?.score ?? 0) >= (vertical[1]?.score ?? 0) && (vertical[1]?.score ?? 0) >= (vertical[2]?.score ?? 0));
    const horizontal = result.channels.find((c) => c.channel === HORIZONTAL_EDGE_CHANNEL)?.patches ?? [];
    assert.equal(horizontal[0]?.image, 'e-horizontal-edge.png');
    assert.ok(horizontal[0]?.y === 15 || horizontal[0]?.y === 16, `unit at (${horizontal[0]?.y}, ${horizontal[0]?.x})`);

    // every image was read once while ranking
    assert.deepEqual([...loads.values()], new Array(7).fill(1));
    const montages = new Map<number, RgbImage>();
    await result.renderMontages((c, image) => {
      montages.set(c, image);
    });
    assert.deepEqual([...montages.keys()], [EDGE_CHANNEL, HORIZONTAL_EDGE_CHANNEL, 5]);
    const grid = montages.get(EDGE_CHANNEL) as RgbImage;
    assert.deepEqual([grid.width, grid.height], [2 * 3 + 2, 2 * 3 + 2]);
    const edge = (await loadImageTensor(join(dir, 'd-vertical-edge.png'), { size: [SIZE, SIZE] })).image;
    const crop = cropBox(edge, best?.box ?? { top: 0, left: 0, bottom: 2, right: 2 });
    assert.deepEqual([...grid.rgb.subarray(0, 9)], [...crop.rgb.subarray(0, 9)], 'the first cell is the best patch');
    // montages re-read only images that made a top 3
    const used = new Set(result.channels.flatMap((c) => c.patches.map((p) => p.image)));
    for (const name of names) assert.equal(loads.get(name), name === 'g-broken.png' ? 1 : used.has(name) ? 2 : 1, name);
  });

  it('bad input: no images, no readable image, an unknown layer, a channel out of range', async () => {
    await assert.rejects(topPatches(model, [], { layer: SHALLOW_LAYER }), (e: unknown) => isLucernaError(e, 'BAD_FILE') && /no images/.test(e.message));
    const broken = sources().filter((s) => s.name === 'g-broken.png');
    await assert.rejects(
      topPatches(model, broken, { layer: SHALLOW_LAYER }),
      (e: unknown) => isLucernaError(e, 'BAD_FILE') && /None of the 1 images could be read/.test(e.message),
    );
    await assert.rejects(
      topPatches(model, sources(), { layer: 'relu7' }),
      (e: unknown) => isLucernaError(e, 'UNKNOWN_TENSOR') && /Closest names/.test(e.oneLine()),
    );
    await assert.rejects(
      topPatches(model, sources(), { layer: SHALLOW_LAYER, channels: [16] }),
      (e: unknown) => isLucernaError(e, 'BAD_OPTION') && /Channel 16 is out of range/.test(e.message),
    );
    await assert.rejects(topPatches(model, sources(), { layer: 'logits' }), (e: unknown) => isLucernaError(e, 'BAD_SHAPE') && /need a 4-D/.test(e.message));
  });

  it('the bounded heap keeps the k best, earlier first on ties', () => {
    const top = new TopK<string>(3);
    const offers: [number, string][] = [
      [1, 'a'],
      [5, 'b'],
      [3, 'c'],
      [5, 'd'],
      [0, 'e'],
      [4, 'f'],
      [Number.NaN, 'g'],
    ];
    for (const [score, item] of offers) top.offer(score, item);
    assert.deepEqual(
      top.sorted().map((s) => s.item),
      ['b', 'd', 'f'],
    );
    assert.equal(top.size, 3);
  });
});
