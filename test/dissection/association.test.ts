/**
 * The interpretable-CNN paper's part interpretability (Zhang, Wu & Zhu 2018, §5.2.1), counted by the
 * dissection tally: per image, a unit is associated with a part when its mask's IoU with the part on
 * that image exceeds 0.2; P_{u,k} is the share of the images showing k where it is; P_u = max_k.
 * Hand-made 2×2 maps and label planes (upsampling 2 → 2 is the identity).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrodenMeta } from '../../src/datasets/broden/format.js';
import type { ImageLabels } from '../../src/datasets/broden/labels.js';
import { bestAssociations, meanBestAssociation } from '../../src/dissection/score.js';
import { Tally } from '../../src/dissection/tally.js';

const meta = { categories: ['part'], labelNames: ['', 'head', 'body'], codes: {}, primary: Int32Array.of(0, 0, 0) } as BrodenMeta;
const primary = meta.primary;
const thresholds = [1, 1];
const image = (plane: number[]): ImageLabels => ({ sh: 2, sw: 2, planes: [Int32Array.from(plane)], scalars: [] });

// Image 1: head on the top row, body on the bottom one. Unit 1 fires on the top row (head IoU 2/2);
// unit 2 on the left column (head IoU 1/3, body IoU 1/3).
const first = { act: Float32Array.of(5, 5, 0, 0, 5, 0, 5, 0), labels: image([1, 1, 2, 2]) };
// Image 2: one head pixel, no body. Unit 1 fires off the head (IoU 0); unit 2 everywhere (head IoU 1/4).
const second = { act: Float32Array.of(0, 0, 0, 5, 5, 5, 5, 5), labels: image([1, 0, 0, 0]) };

function tallyOf(images: readonly (typeof first)[], iou?: number): Tally {
  const t = new Tally(2, 3, 1, iou);
  for (const { act, labels } of images) t.addImage(act, 0, 2, 2, thresholds, labels, primary);
  return t;
}

describe('part association (the interpretable-CNN paper’s part interpretability)', () => {
  it('counts, per image, the units whose mask has IoU > 0.2 with a part, and the images showing each part', () => {
    const t = tallyOf([first, second]);
    assert.deepEqual(Array.from(t.present), [0, 2, 1]);
    // unit 1: head on image 1 only; unit 2: head on both (1/3 and 1/4), body on image 1 (1/3)
    assert.deepEqual(Array.from(t.associated), [0, 1, 0, 0, 2, 1]);
  });

  it('P_u is the best part’s share of its images, the first part on a tie; the layer value is their mean', () => {
    const t = tallyOf([first, second]);
    const per = bestAssociations(t, meta, 'part');
    assert.deepEqual(per, [
      { unit: 1, label: 1, name: 'head', p: 0.5 },
      { unit: 2, label: 1, name: 'head', p: 1 },
    ]);
    assert.equal(meanBestAssociation(t, meta, 'part'), 0.75);
  });

  it('the IoU threshold is strict and settable: at 0.3 the 1/4 overlap no longer counts', () => {
    const t = tallyOf([first, second], 0.3);
    assert.deepEqual(Array.from(t.associated), [0, 1, 0, 0, 1, 1]);
    assert.deepEqual(
      bestAssociations(t, meta, 'part')?.map((a) => [a.name, a.p]),
      [
        ['head', 0.5],
        ['body', 1],
      ],
    );
    // exactly at the threshold is not above it: a 1/4 overlap at 0.25
    assert.deepEqual(Array.from(tallyOf([second], 0.25).associated), [0, 0, 0, 0, 0, 0]);
  });

  it('tallies of disjoint images merge to the tally of all, and survive their saved state', () => {
    const merged = tallyOf([first]);
    merged.merge(tallyOf([second]));
    const whole = tallyOf([first, second]);
    assert.deepEqual(Array.from(merged.associated), Array.from(whole.associated));
    assert.deepEqual(Array.from(merged.present), Array.from(whole.present));
    const back = Tally.fromState(JSON.parse(JSON.stringify(whole.state())));
    assert.equal(meanBestAssociation(back, meta, 'part'), 0.75);
    assert.equal(back.associationIou, 0.2);
    assert.throws(() => whole.merge(tallyOf([first], 0.3)), /Cannot merge tallies associated at IoU 0.2 and 0.3/);
  });

  it('a tally saved without association counts has none to report; a category never shown has none either', () => {
    const { associated: _a, present: _p, associationIou: _i, ...old } = tallyOf([first]).state();
    const back = Tally.fromState(old);
    assert.equal(back.hasAssociation, false);
    assert.equal(bestAssociations(back, meta, 'part'), undefined);
    const merged = tallyOf([second]);
    merged.merge(back);
    assert.equal(merged.hasAssociation, false, 'a merge with an old tally cannot count association');
    assert.equal(bestAssociations(tallyOf([first]), meta, 'object'), undefined);
    const blank = new Tally(2, 3, 1);
    blank.addImage(first.act, 0, 2, 2, thresholds, image([0, 0, 0, 0]), primary);
    assert.equal(meanBestAssociation(blank, meta, 'part'), undefined);
  });
});
