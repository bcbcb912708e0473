import assert from 'node:assert/strict';
import { it } from 'node:test';
import { gradCam } from '../../src/attribution/cam/index.js';
import { saliency } from '../../src/attribution/gradient/saliency.js';
import { attributeTopK } from '../../src/attribution/top-k.js';
import { Model } from '../../src/engine/model.js';
import { nodeRuntime } from '../../src/engine/node.js';
import { concatBatch, sliceBatch } from '../../src/tensor/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { caseInput, oracle, oracleModelBytes } from '../helpers/oracle.js';

it('top-k explains each sample’s k best classes, best first, one result per rank', async () => {
  const cases = oracle().cases.filter((c) => c.model === 'small_resnet');
  await using model = await Model.load(oracleModelBytes(cases[0]!), { runtime: nodeRuntime });
  const x = concatBatch(cases.map(caseInput));
  const ranks = await attributeTopK(saliency, model, x, 3);
  assert.equal(ranks.length, 3);
  cases.forEach((c, i) => {
    const order = c.logits.map((v, j) => [v, j] as const).sort((a, b) => b[0] - a[0]);
    for (const [rank, r] of ranks.entries()) assert.equal(r.targets[i], order[rank]![1]);
    assert.ok((ranks[0]!.scores[i] as number) >= (ranks[1]!.scores[i] as number));
  });
  const second = await saliency.attribute(model, sliceBatch(x, 1, 1), { target: ranks[1]!.targets[1] });
  assertClose(sliceBatch(ranks[1]!.attribution, 1, 1), second.attribution, 1e-6, 'rank 2 of sample 1');
  await assert.rejects(attributeTopK(gradCam, model, x, 11), /top-k needs 1 ≤ k ≤ 10/);
});
