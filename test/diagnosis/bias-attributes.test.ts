import assert from 'node:assert/strict';
import { it } from 'node:test';
import { attributeTable } from '../../src/diagnosis/bias/attributes.js';
import { isLucernaError } from '../../src/errors.js';

const csv = [
  'image,class,split,background,distractors,pose_x,head_present,head_colour',
  'bird/0.png,bird,train,stripes,1,3.5,1,red',
  'cat/1.png,cat,train,dots,0,4.5,1,blue',
  'car/2.png,car,train,dots,0,5,,',
].join('\n');

it('attributeTable one-hot encodes the categorical columns, aligned to the image list', () => {
  const t = attributeTable(csv, ['cat/1.png', 'bird/0.png', 'car/2.png']);
  assert.deepEqual(t.names, ['background=dots', 'background=stripes', 'head_colour=blue', 'head_colour=red', 'head_present=1']);
  assert.deepEqual(t.indicators, [
    [1, 0, 1, 0, 1],
    [0, 1, 0, 1, 1],
    [1, 0, 0, 0, 0],
  ]);
});

it('attributeTable lists the images attributes.csv has no row for', () => {
  assert.throws(
    () => attributeTable(csv, ['bird/0.png', 'x/1.png', 'x/2.png', 'x/3.png', 'x/4.png', 'x/5.png', 'x/6.png']),
    (e: unknown) => {
      assert.ok(isLucernaError(e, 'BAD_FILE'));
      assert.match(e.oneLine(), /does not match the images: no row for x\/1\.png, x\/2\.png, x\/3\.png, x\/4\.png, x\/5\.png and 1 more/);
      return true;
    },
  );
});
