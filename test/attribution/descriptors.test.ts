/**
 * The method descriptors as data (issue #12): every registered method declares how its map is
 * drawn, its option defaults parse with the option's own parser, `attribute`'s and `explain`'s
 * method flags are the registry's, and `docs/methods.md` is the registry's table. No model runs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Option } from 'commander';
import { methodsMarkdown } from '../../src/attribution/docs-table.js';
import { IG_DEFAULTS } from '../../src/attribution/gradient/integrated-gradients.js';
import { getMethod, methodList } from '../../src/attribution/methods.js';
import { formatDefault, type MethodOption, OPTIONS, optionHelp, withDefaults } from '../../src/attribution/options.js';
import { mapDisplay } from '../../src/attribution/types.js';
import { attributeCommand } from '../../src/cli/commands/attribute.js';
import { buildMethodOptions, methodFlagSpecs } from '../../src/cli/commands/attribute-options.js';
import { explainCommand } from '../../src/cli/commands/explain.js';
import { EXPLAIN_OWN_FLAGS, methodOverrides, recipeFor } from '../../src/cli/commands/explain-methods.js';
import { parseExplainFlags } from '../../src/cli/commands/explain-options.js';

const SIGNS = ['all', 'positive', 'absolute'];
const REDUCTIONS = ['sum', 'abs-sum', 'mean', 'none'];
const longOf = (flag: string) => flag.split(' ')[0] as string;

describe('method descriptors', () => {
  it('every method says how its map is drawn; layer maps have one channel', () => {
    for (const m of methodList()) {
      assert.ok(SIGNS.includes(m.display.sign), `${m.name}: sign ${m.display.sign}`);
      assert.ok(REDUCTIONS.includes(m.display.reduction), `${m.name}: reduction ${m.display.reduction}`);
      if (m.output === 'layer-map') assert.equal(m.display.reduction, 'none', m.name);
    }
    assert.equal(getMethod('rise').display.floor, 'percentile');
    assert.equal(getMethod('rise').display.shareAcrossTargets, false);
    assert.equal(getMethod('guided-backprop').display.sign, 'absolute');
  });

  it('abs or relu make a signed map one-sided, only for methods that take them', () => {
    assert.equal(mapDisplay(getMethod('saliency'), { abs: true }).sign, 'positive');
    assert.equal(mapDisplay(getMethod('saliency'), {}).sign, 'all');
    assert.equal(mapDisplay(getMethod('grad-cam'), { relu: true }).sign, 'positive');
    assert.equal(mapDisplay(getMethod('integrated-gradients'), { abs: true }).sign, 'all', 'IG does not take abs');
    assert.equal(mapDisplay(getMethod('guided-backprop'), {}).sign, 'absolute');
  });

  it("every declared default is a value the option's own parser accepts and gives back", async () => {
    let checked = 0;
    for (const m of methodList()) {
      for (const o of m.options) {
        if (o.default === undefined || (typeof o.default === 'object' && !Array.isArray(o.default))) continue;
        assert.notEqual(o.type, 'switch', `${m.name} ${o.flag}: a switch has no default to declare`);
        const flag = new Option(o.flag).attributeName();
        const parsed = await buildMethodOptions(m, { [flag]: formatDefault(o.default) });
        assert.deepEqual(parsed[o.key], o.default, `${m.name} ${o.flag}`);
        checked++;
      }
    }
    assert.ok(checked >= 15, `only ${checked} defaults checked`);
  });

  it('withDefaults attaches by key, refuses an unknown key, and the help states the default', () => {
    const [steps] = withDefaults([OPTIONS.steps], { steps: IG_DEFAULTS.steps });
    assert.equal(optionHelp(steps as MethodOption), 'integration or optimisation steps (default 50)');
    assert.throws(() => withDefaults([OPTIONS.steps], { stpes: 5 }), /no option has the key "stpes"/);
    assert.equal(formatDefault({ text: 'half the window' }), 'half the window');
  });
});

describe('CLI flags from the registry', () => {
  const registryFlags = [...new Set(methodList().flatMap((m) => m.options.map((o) => o.flag)))];

  it("attribute has exactly one flag per registry option, its help naming each method's default", () => {
    const declared = attributeCommand.options.map((o) => o.flags);
    for (const flag of registryFlags) assert.equal(declared.filter((f) => f === flag).length, 1, flag);
    const steps = methodFlagSpecs().find((o) => o.flags === '--steps <n>');
    assert.match(steps?.description ?? '', /integrated-gradients 50/);
    assert.match(steps?.description ?? '', /meaningful-perturbation 300/);
    assert.match(
      methodFlagSpecs().find((o) => longOf(o.flags) === '--samples')?.description ?? '',
      /lime 512.*kernel-shap \(2·segments \+ 2048\) \/ 2 \(permutation: \(2·segments \+ 2048\) \/ 3, regression: 2·segments \+ 2048\)/,
    );
    assert.match(methodFlagSpecs().find((o) => longOf(o.flags) === '--estimator')?.description ?? '', /kernel-shap control-variate/);
  });

  it('explain takes every registry flag, with its quick-run defaults in the help', () => {
    const declared = explainCommand.options.map((o) => longOf(o.flags));
    for (const flag of registryFlags) assert.equal(declared.filter((f) => f === longOf(flag)).length, 1, flag);
    for (const own of EXPLAIN_OWN_FLAGS) assert.ok(declared.includes(own));
    const steps = explainCommand.options.find((o) => longOf(o.flags) === '--steps');
    assert.match(steps?.description ?? '', /integrated-gradients 64/);
    const abs = explainCommand.options.find((o) => longOf(o.flags) === '--abs');
    assert.doesNotMatch(abs?.description ?? '', /applied to the result/, 'explain does not post-process');
  });

  it("explain passes a method's own flags to the methods that take them and refuses the rest", async () => {
    const given = await methodOverrides(['integrated-gradients', 'rise', 'lime', 'occlusion'], {
      baseline: 'blur',
      keep: '0.25',
      steps: '4',
      samples: '30',
      window: '8',
    });
    assert.deepEqual(given, {
      'integrated-gradients': { baseline: 'blur', steps: 4 },
      rise: { keep: 0.25 },
      lime: { baseline: 'blur', samples: 30 },
      occlusion: { baseline: 'blur' },
    });
    await assert.rejects(methodOverrides(['grad-cam'], { segments: '9' }), /--segments applies to none of the methods run \(grad-cam\)/);
    const ctx = { inputShape: [1, 3, 32, 32], outputKind: 'logits' as const, params: parseExplainFlags({}).params, overrides: given };
    const ig = recipeFor('integrated-gradients', ctx);
    assert.equal(ig.options.baseline, 'blur');
    assert.equal(ig.settings.baseline, 'blur');
  });

  it("explain draws each map as the method's descriptor says (one-sided when it ran with abs or relu)", () => {
    const params = parseExplainFlags({}).params;
    for (const m of methodList()) {
      const r = recipeFor(m.name, { inputShape: [1, 3, 32, 32], outputKind: 'logits', params, layer: 'x' });
      const d = mapDisplay(m, r.options);
      assert.deepEqual([r.sign, r.reduction, r.floor, r.shareAcrossTargets], [d.sign, d.reduction, d.floor, d.shareAcrossTargets], m.name);
    }
  });

  it('docs/methods.md is the registry table (run npm run docs:methods)', () => {
    const file = readFileSync(new URL('../../docs/methods.md', import.meta.url), 'utf8');
    assert.equal(file, methodsMarkdown());
    for (const m of methodList()) assert.ok(file.includes(`| \`${m.name}\` |`), m.name);
  });
});
