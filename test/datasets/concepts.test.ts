/**
 * The procedural concept set: exact colour segmentation, occlusion, a part inside a part, label
 * balance (every label in ≥ 100 of 500 images), determinism, and a written set that reads back.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openBroden } from '../../src/datasets/broden/node.js';
import { CONCEPT_SPEC, generateConcepts, PALETTE } from '../../src/datasets/concepts/generate.js';
import { decodeRgb } from '../../src/io/image.js';
import { assertOneLineError, lucerna, lucernaJson, lucernaWith } from '../helpers/cli.js';

const number = (name: string) => CONCEPT_SPEC.labels.findIndex((l) => l.name === name) + 1;

describe('concept set', () => {
  it('puts every label in at least 100 of 500 images', () => {
    const images = new Map<number, number>();
    for (const img of generateConcepts({ n: 500, seed: 1, size: 64 })) {
      const seen = new Set<number>([number(img.texture)]);
      for (const plane of [img.color, img.object, ...img.part]) for (const v of plane) if (v) seen.add(v);
      for (const l of seen) images.set(l, (images.get(l) ?? 0) + 1);
    }
    const counts = CONCEPT_SPEC.labels.map((l, i) => [l.name, images.get(i + 1) ?? 0] as const);
    for (const [name, count] of counts) assert.ok(count >= 100, `${name}: ${count} images`);
  });

  it('is deterministic in the seed, with occlusion and core inside centre', () => {
    const a = [...generateConcepts({ n: 30, seed: 4, size: 48 })];
    const b = [...generateConcepts({ n: 30, seed: 4, size: 48 })];
    assert.deepEqual(a[7]?.rgb, b[7]?.rgb);
    let cores = 0;
    for (const img of a) {
      const [first, second] = img.part;
      if (!second) continue;
      second.forEach((v, p) => {
        if (v === 0) return;
        cores++;
        assert.equal(v, number('core'));
        assert.equal(first?.[p], number('centre'));
        assert.equal(img.object[p], number('circle'));
      });
    }
    assert.ok(cores > 0);
    // Occlusion: somewhere two different shapes meet, the later one drawn over the earlier one.
    const touching = a.some((img) => {
      const s = img.seg;
      for (let p = 0; p + 1 < s * s; p++) {
        const x = img.object[p] as number;
        const y = img.object[p + 1] as number;
        if (x && y && x !== y && (p + 1) % s !== 0) return true;
      }
      return false;
    });
    assert.ok(touching);
  });

  it('rejects a bad count or size on one line', async () => {
    assertOneLineError(await lucerna('dataset', 'concepts', '--out', 'x', '--n', '0'), 2, /--n must be an integer from 1 to 1000000, got "0"/);
    assertOneLineError(await lucerna('dataset', 'concepts', '--out', 'x', '--size', '33'), 2, /even integer/);
    // A typo such as 1e9 is refused at once (it wrote 1.4 GB in 16 minutes, with no progress off a terminal).
    const soon = () => ({ signal: AbortSignal.timeout(5000) }); // without the bound, the run is cancelled (130), not hung
    assertOneLineError(await lucernaWith(soon(), 'dataset', 'concepts', '--out', 'x', '--n', '1e9'), 2, /--n must be an integer from 1 to 1000000, got "1e9"/);
    assertOneLineError(await lucernaWith(soon(), 'dataset', 'parts', '--out', 'x', '--n', '1e9', '--seed', '1'), 2, /--n must be an integer from 1 to 1000000/);
  });

  it('refuses a folder that holds files, and leaves nothing when cancelled', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'concepts-'));
    try {
      const full = join(parent, 'full');
      await mkdir(full);
      await writeFile(join(full, 'notes.txt'), 'mine');
      assertOneLineError(await lucerna('dataset', 'concepts', '--out', full, '--n', '4', '--size', '32'), 2, /already exists and is not empty/);
      assert.deepEqual(await readdir(full), ['notes.txt']);
      const out = join(parent, 'set');
      const run = await lucernaWith({ signal: AbortSignal.timeout(1500) }, 'dataset', 'concepts', '--out', out, '--n', '5000', '--size', '32');
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stderr, /^interrupted: nothing was written\n$/);
      assert.deepEqual(await readdir(parent), ['full'], 'no half-written set, no hidden temporary folder');
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('writes a Broden set whose colour segmentation is exact at half size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'concepts-'));
    try {
      const summary = await lucernaJson('dataset', 'concepts', '--out', dir, '--n', '6', '--seed', '2', '--size', '32');
      assert.equal(summary.images, 6);
      const set = await openBroden(dir);
      assert.deepEqual(set.meta.categories, ['color', 'object', 'part', 'texture']);
      const names = set.meta.labelNames;
      for (const row of set.rows) {
        const labels = await set.readLabels(row);
        assert.equal(labels.sh * 2, row.ih);
        assert.equal(labels.scalars.length, 1);
        assert.ok(CONCEPT_SPEC.labels[(labels.scalars[0] as number) - 1]?.category === 'texture');
        const image = await decodeRgb(set.imagePath(row));
        const colour = labels.planes[0] as Int32Array;
        for (let y = 0; y < image.height; y++)
          for (let x = 0; x < image.width; x++) {
            const want = PALETTE[names[colour[(y >> 1) * labels.sw + (x >> 1)] as number] as string] as readonly number[];
            const p = (y * image.width + x) * 3;
            assert.deepEqual([image.rgb[p], image.rgb[p + 1], image.rgb[p + 2]], [...want]);
          }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
