/**
 * The RESULTS.md interpretable-CNN section's bookkeeping (scripts/results/icnn*.ts): the
 * multi-category row is judged by the ICNN authors' multi-class protocol (each filter on its own
 * class's images, `step_computeStability_multiClass.m` in zqs1022/interpretableCNN), the
 * single-category rows on their class's images.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type IcnnRow, type NetResult, pickOwnClass } from '../../scripts/results/icnn.js';
import { icnnMarkdown, overSeeds, pairedFilters, partHigher } from '../../scripts/results/icnn-markdown.js';
import { evaluatedTensor, firstOfClass, meanOwnP } from '../../scripts/results/icnn-parts.js';
import { instabilityReferences } from '../../scripts/results/icnn-references.js';
import { ICNN_DEFAULTS, ICNN_RESNET18, icnnFigurePath, seedList } from '../../scripts/results/icnn-settings.js';

const net = (instability: number, extra: Partial<NetResult> = {}): NetResult => ({
  acc: 0.9,
  instability,
  perFilter: [instability, instability],
  icnnProtocol: instability,
  partIou: 0.01,
  deadFilters: 0,
  noneRatio: 0.5,
  seconds: 1,
  ...extra,
});

describe('interpretable-CNN results section', () => {
  it('pickOwnClass takes each filter from its own class’s table', () => {
    assert.deepEqual(
      pickOwnClass(
        [0, 1, 0],
        new Map([
          [0, [0.1, 0.2, null]],
          [1, [0.3, 0.4, 0.5]],
        ]),
      ),
      [0.1, 0.4, null],
    );
    assert.deepEqual(pickOwnClass([2], new Map([[0, [0.1]]])), [null]);
  });

  it('judges the multi-category row on each filter’s own class, and says so', () => {
    const rows: IcnnRow[] = [
      { name: 'single bird', plain: net(0.1), icnn: net(0.07) },
      {
        name: 'multi',
        // every object image: 1.0 (worse); own class: 0.06 / 0.1 = 0.6 by default, 0.09 / 0.1 = 0.9 by the authors' protocol
        plain: net(0.1, { ownClass: [0.1, 0.1], ownClassIcnn: [0.1, 0.1], ownClassCounts: { bird: 1, fish: 1 } }),
        icnn: net(0.1, { ownClass: [0.05, 0.07], ownClassIcnn: [0.09, 0.09], ownClassCounts: { bird: 2 } }),
      },
    ];
    const md = icnnMarkdown(ICNN_DEFAULTS, { rows, landmarkSpread: 10, mapSize: 8, seeds: [0] });
    assert.match(md, /--mask-centre centroid --beta-mode adaptive --filter-assign step --filter-loss-schedule epoch --rows bird,fish,multi --seeds 0`/);
    assert.doesNotMatch(md, /Over the seeds/);
    // per filter, own class in multi: 0.05/0.1 and 0.07/0.1 are both more stable, median 0.6
    assert.match(md, /\| multi \|[^\n]*\| 2 of 2 \(0\.600\) \|/);
    assert.match(icnnMarkdown({ ...ICNN_DEFAULTS, arch: 'resnet18' }, { rows, landmarkSpread: 10, mapSize: 7 }), /^## Interpretable CNNs on resnet18: /);
    assert.match(md, /instability ratio 0\.700, 0\.600 \(2 of 2 rows ≤ 0\.8\); by the authors' protocol 0\.700, 0\.900 \(1 of 2 rows ≤ 0\.8\)/);
    assert.match(md, /Every filter on every object image instead: 0\.700, 1\.000 \(1 of 2 rows ≤ 0\.8\)/);
    assert.match(md, /Filters per class in multi: ordinary bird 1, fish 1; interpretable bird 2\./);
    assert.match(md, /0\.1000 \/ 0\.0600 \(0\.600, 2\); 0\.1000 \/ 0\.0900 \(0\.900\)/);
  });

  it('the resnet18 section (npm run results) names its own heading, figure and rebuild command at the defaults’ budget', () => {
    const rows: IcnnRow[] = [{ name: 'single bird', seed: 0, plain: net(0.1), icnn: net(0.07) }];
    const md = icnnMarkdown(ICNN_RESNET18, { rows, landmarkSpread: 10, mapSize: 7, seeds: [0, 1] });
    assert.match(md, /^## Interpretable CNNs on resnet18: /);
    assert.equal(icnnFigurePath(ICNN_RESNET18), 'docs/results/icnn-maps-resnet18.svg');
    assert.match(
      md,
      /`node --import tsx scripts\/results-icnn\.ts --n 1500 --size 224 --pretrain 4 --epochs 6 --arch resnet18 --width 0\.125 --layer Relu_83 --weight 1 --tau 0\.01 --form exact --lr 0\.003 --finetune-lr 0\.0003 --weight-decay 0\.05 --batch 32 --mask-centre centroid --beta-mode adaptive --filter-assign step --filter-loss-schedule epoch --rows bird,fish,multi --seeds 0,1`/,
    );
  });

  it('the vgg11-bn section (the defaults) names its 12-epoch pretraining; the resnet18 one keeps the 4 its table was run with', () => {
    const rows: IcnnRow[] = [{ name: 'single bird', seed: 0, plain: net(0.1), icnn: net(0.07) }];
    const md = icnnMarkdown(ICNN_DEFAULTS, { rows, landmarkSpread: 10, mapSize: 8, seeds: [0, 1] });
    assert.match(md, /`node --import tsx scripts\/results-icnn\.ts --n 1500 --size 128 --pretrain 12 --epochs 6 --arch vgg11-bn /);
    assert.match(md, /start from the same ordinary net, trained 12 epochs from the random initialisation/);
    assert.equal(ICNN_RESNET18.pretrain, 4);
  });

  it('pairedFilters compares filter by filter over the filters measured in both nets', () => {
    assert.deepEqual(pairedFilters([0.1, 0.2, null, 0.4], [0.05, 0.3, 0.1, 0.2]), { better: 2, filters: 3, median: 0.5 });
    assert.deepEqual(pairedFilters([0.1, 0.2], [0.2, 0.1]), { better: 1, filters: 2, median: 1.25 });
    assert.ok(Number.isNaN(pairedFilters([null], [0.1]).median));
  });

  it('reports each seed as a row and every row over the seeds, with its verdict', () => {
    assert.deepEqual(seedList({ ...ICNN_DEFAULTS, seeds: '1, 0' }), [1, 0]);
    assert.throws(() => seedList({ ...ICNN_DEFAULTS, seeds: '0,x' }), /--seeds takes non-negative integers/);
    const [a] = overSeeds([{ name: 'a' }, { name: 'b' }, { name: 'a' }], [0.7, 0.1, 0.9]);
    assert.deepEqual(a, { name: 'a', values: [0.7, 0.9], mean: 0.8, min: 0.7, max: 0.9 });
    const rows: IcnnRow[] = [
      { name: 'single bird', seed: 0, plain: net(0.1), icnn: net(0.07, { partIou: 0.02 }) },
      { name: 'single fish', seed: 0, plain: net(0.1), icnn: net(0.09, { partIou: 0.02 }) },
      { name: 'single bird', seed: 1, plain: net(0.1), icnn: net(0.075, { partIou: 0.02 }) },
      { name: 'single fish', seed: 1, plain: net(0.1), icnn: net(0.07, { partIou: 0.02, acc: 0.8 }) },
    ];
    const md = icnnMarkdown({ ...ICNN_DEFAULTS, rows: 'bird,fish' }, { rows, landmarkSpread: 10, mapSize: 8, seeds: [0, 1] });
    assert.match(md, /--rows bird,fish --seeds 0,1`/);
    assert.match(md, /\| single fish, seed 1 \| 0\.900 \| 0\.800 \|/);
    // bird: 0.700 and 0.750, both ≤ 0.8, no accuracy drop; fish: 0.900 and 0.700, seed 1 drops 10 points
    assert.match(
      md,
      /\| single bird \| 0\.725 \(0\.700–0\.750\) \| 2 of 2 \| 0\.725 \(0\.700–0\.750\) \| 2 of 2 \| 0\.0 \(0\.0–0\.0\) \| 2 of 2 \| yes \| 2 of 2 \|/,
    );
    assert.match(
      md,
      /\| single fish \| 0\.800 \(0\.700–0\.900\) \| 1 of 2 \| 0\.800 \(0\.700–0\.900\) \| 1 of 2 \| 5\.0 \(0\.0–10\.0\) \| 2 of 2 \| yes \| 0 of 2 \|/,
    );
  });

  it("judges part interpretability by the paper's measure (§5.2.1) when the rows have it, NetDissect's part IoU otherwise", () => {
    // NetDissect's part IoU says higher, the paper's measure says lower: the paper's decides.
    const withP: IcnnRow = { name: 'single bird', seed: 0, plain: net(0.1, { partP: 0.3 }), icnn: net(0.07, { partIou: 0.02, partP: 0.2 }) };
    const without: IcnnRow = { name: 'single bird', seed: 1, plain: net(0.1), icnn: net(0.07, { partIou: 0.02 }) };
    assert.equal(partHigher(withP), false);
    assert.equal(partHigher(without), true);
    const md = icnnMarkdown(ICNN_DEFAULTS, { rows: [withP, { ...withP, seed: 1 }], landmarkSpread: 10, mapSize: 8, seeds: [0, 1] });
    assert.match(md, /\| 0\.0100 \| 0\.0200 \| 0\.3000 → 0\.2000 \|/);
    assert.match(md, /paper measures it \(§5\.2\.1\) higher in 0 of 2 rows; NetDissect's part IoU higher in 2 of 2 rows\./);
    assert.match(md, /seeds with part interpretability \(paper's\) higher/);
    assert.match(
      md,
      /\| single bird \| 0\.700 \(0\.700–0\.700\) \| 2 of 2 \| 0\.700 \(0\.700–0\.700\) \| 2 of 2 \| 0\.0 \(0\.0–0\.0\) \| 0 of 2 \| yes \| 0 of 2 \|/,
    );
    // rows run before the measure existed: no column, NetDissect's verdict
    assert.doesNotMatch(icnnMarkdown(ICNN_DEFAULTS, { rows: [without], landmarkSpread: 10, mapSize: 8 }), /→/);
    // the multi-category measure: each filter on its own class's P
    assert.equal(
      meanOwnP(
        [0, 1, 1],
        new Map([
          [0, [0.3, 0, 0]],
          [1, [0, 0.2, 0.4]],
        ]),
      ),
      0.3,
    );
    assert.deepEqual(firstOfClass(Int32Array.of(1, 0, 1, 1), 1, 2), [0, 2], 'the empirical radius images: the first of each class');
    assert.deepEqual(firstOfClass(Int32Array.of(1, 0), 2, 8), []);
    assert.equal(evaluatedTensor('Relu_33', true), 'Relu_33/mask/masked');
    assert.equal(evaluatedTensor('Relu_33', false), 'Relu_33');
  });

  it('judges part interpretability by the round-receptive-field measure when the rows have it, and shows all three', () => {
    // The upsampled measure says lower, the round-RF one (own radius) higher: the round-RF one decides.
    const rf = (partPRf: number, partPRfShared: number, rfRadius: number) => ({ partP: 0.3, partPRf, partPRfShared, rfRadius });
    const row: IcnnRow = {
      name: 'single bird',
      seed: 0,
      plain: net(0.1, rf(0.01, 0.01, 12)),
      icnn: net(0.07, { ...rf(0.02, 0.005, 10), partP: 0.2 }),
    };
    assert.equal(partHigher(row), true);
    assert.equal(partHigher({ ...row, icnn: { ...row.icnn, partPRf: 0.01 } }), false, 'equal is not higher');
    const md = icnnMarkdown(ICNN_DEFAULTS, { rows: [row, { ...row, seed: 1 }], landmarkSpread: 10, mapSize: 8, seeds: [0, 1] });
    assert.match(md, /\| 0\.0100 → 0\.0200; 0\.0050; 12\.0 \/ 10\.0 \| 0\.3000 → 0\.2000 \|/);
    assert.match(
      md,
      /with round receptive fields higher in 2 of 2 rows \(with the ordinary net's radius for both: 0 of 2\); with the upsampled mask higher in 0 of 2 rows; NetDissect's part IoU higher in 0 of 2 rows\./,
    );
    assert.match(md, /seeds with part interpretability \(paper's, round RF\) higher/);
    assert.match(
      md,
      /\| single bird \| 0\.700 \(0\.700–0\.700\) \| 2 of 2 \| 0\.700 \(0\.700–0\.700\) \| 2 of 2 \| 0\.0 \(0\.0–0\.0\) \| 2 of 2 \| yes \| 2 of 2 \|/,
    );
  });

  it('reference filters: a part tracker follows the object, a fixed cell does not', () => {
    // Two birds 40 px apart (head, body 20 px behind it), on 80-px images with 4×4 cells of 20 px; a fish is ignored.
    const landmarks = 'image,landmark,x,y\na,head,10,10\na,body,30,10\nb,head,50,10\nb,body,70,10\nc,head,0,70\n';
    const attributes = 'image,class\na,bird\nb,bird\nc,fish\n';
    const r = instabilityReferences(landmarks, attributes, 'bird', 80, 80, 4);
    assert.equal(r.trackerLow, 0);
    assert.equal(r.trackerHigh, 0);
    // best fixed cell (30, 70) (or (50, 70)): one landmark at the same distance on both birds (std 0), the other
    // 60 px then √5200 px away (std (√5200 − 60)/2); the mean over the two landmarks, over the diagonal
    assert.ok(Math.abs(r.fixedBest - (Math.sqrt(5200) - 60) / 4 / Math.hypot(80, 80)) < 1e-12, String(r.fixedBest));
    // scaled from 80 to 160 px: the same values (distances are over the diagonal)
    assert.ok(Math.abs(instabilityReferences(landmarks, attributes, 'bird', 80, 160, 4).fixedBest - r.fixedBest) < 1e-12);
    const md = icnnMarkdown(ICNN_DEFAULTS, {
      rows: [{ name: 'single bird', plain: net(0.1), icnn: net(0.07) }],
      landmarkSpread: 10,
      mapSize: 4,
      seeds: [0],
      references: { bird: { ...r, fixedMean: 0.08 } },
    });
    assert.match(
      md,
      /- bird: a filter fixed at one cell 0\.0268 \(the best cell; 0\.0800 over all cells\); a perfect part tracker 0\.0000 \(body\) to 0\.0000 \(body\); the ordinary net 0\.1000 \(0\.8× of it: 0\.0800\), the interpretable one 0\.0700; filters less stable than the mean fixed cell \(wandering\), ordinary \/ interpretable: 2 \/ 0\./,
    );
  });
});
