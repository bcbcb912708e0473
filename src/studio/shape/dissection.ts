/**
 * Reads a `result.json` of `lucerna dissect` (Network Dissection, Bau et al. 2017,
 * https://arxiv.org/abs/1704.05796) for the studio's units view: per layer, each unit's best concept
 * label and IoU, and whether it counts as an interpretable detector. Pure and isomorphic.
 */
import type { LayerResult } from '../../dissection/output.js';
import { LucernaError } from '../../errors.js';

/** A unit's label as the units view shows it. */
export interface UnitLabel {
  /** 0-based channel index (result.json counts from 1). */
  readonly channel: number;
  readonly label: string;
  readonly category: string;
  readonly iou: number;
  /** IoU at or above the layer's detector threshold. */
  readonly interpretable: boolean;
}

/** A dissection result as the page uses it. */
export interface Dissection {
  readonly model: string;
  readonly dataset: string;
  readonly layers: readonly { readonly layer: string; readonly threshold: number; readonly units: readonly UnitLabel[] }[];
}

function bad(what: string): LucernaError {
  return new LucernaError('BAD_FILE', `result.json: ${what}`, 'Load the result.json that lucerna dissect wrote');
}

/**
 * Parses and checks `result.json` text.
 *
 * @example
 * ```ts
 * const d = parseDissection(await (await fetch(url)).text());
 * d.layers[0].units.filter((u) => u.interpretable).length;
 * ```
 */
export function parseDissection(text: string): Dissection {
  let raw: { model?: unknown; dataset?: unknown; layers?: unknown };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch {
    throw bad('not valid JSON');
  }
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.layers)) throw bad('no "layers" list');
  const layers = (raw.layers as LayerResult[]).map((l, i) => {
    if (typeof l?.layer !== 'string' || !Array.isArray(l.units)) throw bad(`layer ${i + 1} has no name or units`);
    const threshold = typeof l.counts?.threshold === 'number' ? l.counts.threshold : 0.04;
    const units = l.units.map((u) => {
      if (!Number.isInteger(u.unit) || u.unit < 1 || typeof u.score !== 'number') throw bad(`layer ${l.layer}: a unit has no number or score`);
      return { channel: u.unit - 1, label: String(u.label), category: String(u.category), iou: u.score, interpretable: u.score >= threshold };
    });
    return { layer: l.layer, threshold, units };
  });
  return { model: String(raw.model ?? ''), dataset: String(raw.dataset ?? ''), layers };
}

/**
 * The label of each channel of `layer` (undefined when the result does not cover that layer).
 *
 * @example
 * ```ts
 * unitLabels(dissection, 'Relu_33')?.get(5)?.label; // 'head'
 * ```
 */
export function unitLabels(dissection: Dissection, layer: string): Map<number, UnitLabel> | undefined {
  const found = dissection.layers.find((l) => l.layer === layer);
  return found ? new Map(found.units.map((u) => [u.channel, u])) : undefined;
}
