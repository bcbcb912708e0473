import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseBias } from '../../src/datasets/parts/bias.js';
import { partsSample } from '../../src/datasets/parts/generate.js';
import { isLucernaError } from '../../src/errors.js';

it('plants a part-colour correlation in the train split only', () => {
  const bias = [parseBias('bird:head_colour=red@1')];
  let train = 0;
  let valOther = 0;
  for (let i = 0; i < 600; i += 6) {
    const s = partsSample(3, i, { bias });
    const head = s.attributes.parts.head;
    if (!head?.present) continue;
    assert.notEqual(head.colour2, head.colour);
    if (s.split === 'train') {
      assert.equal(head.colour, 'red', `image ${i}`);
      train++;
    } else if (head.colour !== 'red') valOther++;
  }
  assert.ok(train > 20 && valOther > 0, `${train} ${valOther}`);
  // Without a rule, the same images are unchanged by the new code path.
  const clean = partsSample(3, 7);
  assert.deepEqual(partsSample(3, 7, { bias: [parseBias('bird:background=stripes@1')] }).attributes.parts, clean.attributes.parts);
});

it('refuses an unknown part or colour in a colour rule', () => {
  for (const rule of ['bird:tail9_colour=red@1', 'bird:head_colour=magenta@1', 'bird:pose=red@1'])
    assert.throws(
      () => parseBias(rule),
      (e) => isLucernaError(e, 'BAD_OPTION'),
      rule,
    );
});

it('refuses a rule on the none class or an absent class, with a hint that lists only the classes a rule can name', async () => {
  const { writePartsDataset } = await import('../../src/datasets/node/parts-writer.js');
  for (const [rule, said] of [
    ['none:background=stripes@1', /"none"/],
    ['cat:head_colour=red@1', /"cat"/],
  ] as const)
    await assert.rejects(
      writePartsDataset(`/nonexistent/never-written-${rule}`, { n: 4, seed: 1, size: 16, classes: 2, bias: [rule] }),
      (e) => isLucernaError(e, 'BAD_OPTION') && said.test(e.message) && e.hint === 'Classes: bird, fish',
      rule,
    );
});
