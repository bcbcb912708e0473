import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { parseCsvRows, parseIndexCell, primaryCategories } from '../../src/datasets/broden/index.js';
import { openBroden } from '../../src/datasets/broden/node.js';
import { isLucernaError } from '../../src/errors.js';
import { writeTinySet } from '../helpers/broden.js';

describe('Broden format', () => {
  it('parses quoted CSV fields and index cells', () => {
    assert.deepEqual(parseCsvRows('a,b\n1,"x,""y"""\r\n'), [
      ['a', 'b'],
      ['1', 'x,"y"'],
    ]);
    assert.deepEqual(parseIndexCell('p/1.png;;p/2.png'), ['p/1.png', 'p/2.png']);
    assert.deepEqual(parseIndexCell('17;4'), [17, 4]);
  });

  it('gives each label the category of largest coverage, ties and unlisted labels to the later category', () => {
    const row = (code: number, number: number, coverage: number) => ({ code, number, name: '', frequency: 1, coverage });
    const primary = primaryCategories(['a', 'b', 'c'], { a: [row(1, 1, 0.5), row(2, 2, 0.3)], b: [row(1, 1, 0.2), row(2, 2, 0.3)], c: [] }, 4);
    // label 0 and 3: listed nowhere → last category; label 1: a wins; label 2: tie a/b → b.
    assert.deepEqual([...primary], [2, 0, 1, 2]);
  });

  it('writes a set that reads back exactly, with half-size segmentations and statistics', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broden-'));
    try {
      await writeTinySet(dir);
      const set = await openBroden(dir);
      assert.deepEqual(set.meta.categories, ['color', 'part', 'texture']);
      assert.deepEqual(set.meta.labelNames, ['', 'red', 'blue', 'corner', 'dots']);
      assert.equal(set.rows.length, 2);
      assert.deepEqual([set.rows[0]?.ih, set.rows[0]?.iw, set.rows[0]?.sh, set.rows[0]?.sw], [4, 4, 2, 2]);
      const a = await set.readLabels(set.rows[0]!);
      assert.deepEqual(
        a.planes.map((p) => [...p]),
        [
          [1, 1, 2, 0],
          [3, 0, 0, 0],
          [0, 0, 0, 3],
        ],
      );
      assert.deepEqual(a.scalars, [4]);
      const codes = await readFile(join(dir, 'c_color.csv'), 'utf8');
      // blue: 2 images, coverage 1/4 + 4/4.
      assert.match(codes, /^2,2,blue,2,1\.250000$/m);
      const labels = await readFile(join(dir, 'label.csv'), 'utf8');
      assert.match(labels, /^4,dots,texture\(1\),1,1\.000000,dots$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the missing file of a folder that is not a Broden set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broden-'));
    try {
      await writeTinySet(dir);
      await rm(join(dir, 'c_part.csv'));
      await assert.rejects(openBroden(dir), (e) => isLucernaError(e, 'FILE_NOT_FOUND') && /c_part\.csv is missing/.test(e.message));
      await rm(join(dir, 'index.csv'));
      await assert.rejects(openBroden(dir), (e) => isLucernaError(e, 'FILE_NOT_FOUND') && /index\.csv is missing/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a segmentation whose size is not sh×sw', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broden-'));
    try {
      await writeTinySet(dir);
      const index = await readFile(join(dir, 'index.csv'), 'utf8');
      await writeFile(join(dir, 'index.csv'), index.replace('a.png,train,4,4,2,2', 'a.png,train,4,4,3,2'));
      const set = await openBroden(dir);
      await assert.rejects(set.readLabels(set.rows[0]!), (e) => isLucernaError(e, 'BAD_SHAPE') && /2×2 but index\.csv says sh×sw = 3×2/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads a hand-written Broden folder: JPEG images, R + 256·G labels above 255, several planes, scene numbers, a "-" label row', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'broden-'));
    try {
      await mkdir(join(dir, 'images', 'ade'), { recursive: true });
      await writeFile(
        join(dir, 'index.csv'),
        'image,split,ih,iw,sh,sw,object,part,scene\nade/a.jpg,train,4,4,2,2,ade/a_object.png,ade/a_part_1.png;ade/a_part_2.png,301\nade/b.jpg,val,4,4,2,2,,,\n',
      );
      await writeFile(join(dir, 'category.csv'), 'name,first,last,count,frequency\nobject,1,300,2,1\npart,2,2,1,1\nscene,301,301,1,1\n');
      await writeFile(
        join(dir, 'label.csv'),
        'number,name,category,frequency,coverage,syns\n0,-,-,0,0.0,\n1,dog,object(1),1,0.5,dog\n2,leg,part(1),1,0.25,leg\n300,cat,object(1),1,0.25,cat;kitty\n301,kitchen,scene(1),1,1.0,kitchen\n',
      );
      await writeFile(join(dir, 'c_object.csv'), 'code,number,name,frequency,coverage\n1,1,dog,1,0.5\n2,300,cat,1,0.25\n');
      await writeFile(join(dir, 'c_part.csv'), 'code,number,name,frequency,coverage\n1,2,leg,1,0.25\n');
      await writeFile(join(dir, 'c_scene.csv'), 'code,number,name,frequency,coverage\n1,301,kitchen,1,1.0\n');
      const png = (labels: number[]) =>
        sharp(Buffer.from(labels.flatMap((l) => [l % 256, Math.floor(l / 256), 0])), { raw: { width: 2, height: 2, channels: 3 } })
          .png()
          .toBuffer();
      await writeFile(join(dir, 'images', 'ade', 'a_object.png'), await png([1, 300, 0, 1]));
      await writeFile(join(dir, 'images', 'ade', 'a_part_1.png'), await png([2, 0, 0, 0]));
      await writeFile(join(dir, 'images', 'ade', 'a_part_2.png'), await png([0, 0, 0, 2]));
      const jpg = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'gray' } })
        .jpeg()
        .toBuffer();
      await writeFile(join(dir, 'images', 'ade', 'a.jpg'), jpg);
      const set = await openBroden(dir);
      assert.equal(set.rows.length, 1); // b has no data in any category: dropped, as NetDissect-Lite does
      assert.equal(set.dropped, 1);
      assert.equal(set.meta.labelNames[300], 'cat');
      assert.equal(set.meta.labelNames[0], '-');
      assert.deepEqual([set.meta.primary[1], set.meta.primary[2], set.meta.primary[300], set.meta.primary[301]], [0, 1, 0, 2]);
      const labels = await set.readLabels(set.rows[0]!);
      assert.deepEqual(
        labels.planes.map((p) => [...p]),
        [
          [1, 300, 0, 1],
          [2, 0, 0, 0],
          [0, 0, 0, 2],
        ],
      );
      assert.deepEqual(labels.scalars, [301]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
