/**
 * One method on one image for every target of `lucerna explain`: run it once (the image
 * repeated per target, one target per row), turn each raw map into a plane at the input's
 * resolution, and render the overlays with one display range shared by the targets.
 */
import { reduceChannels } from '../../attribution/postprocess.js';
import { upsampleBilinear } from '../../attribution/upsample.js';
import type { Model } from '../../engine/model.js';
import type { RgbImage } from '../../io/image.js';
import { pixelsToDataUri } from '../../render/node.js';
import { modeSign, type OverlayMode, renderOverlay } from '../../render/overlay.js';
import type { MapCell, MethodReport, Prediction } from '../../render/report/types.js';
import { displayRange, sharedDisplayRange } from '../../render/scale.js';
import { concatBatch, sliceBatch, type Tensor } from '../../tensor/tensor.js';
import { convergenceCheck, explainMethod, type RecipeContext, type Reduction, recipeFor, withDetails } from './explain-methods.js';

/** A map reduced to one plane at the input's resolution, with what was done to it. */
export interface DisplayPlane {
  /** [1, 1, H, W] */
  readonly plane: Tensor;
  /** Statistics before upsampling (so `sum` is the attribution total for input-shaped maps). */
  readonly stats: MapCell['stats'];
  /** How the channels were combined: the recipe's reduction, or `none` for a one-channel map. */
  readonly reduction: Reduction;
  /** `bilinear h×w → H×W` when the map was upsampled. */
  readonly upsampling?: string;
}

function stats(values: Float32Array): MapCell['stats'] {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, max, sum };
}

/**
 * One sample's map [1, C, h, w] → one plane [1, 1, H, W]: channels reduced (`sum`, `abs-sum` or
 * `mean`), then bilinear upsampling when h×w differs from H×W.
 *
 * @example
 * ```ts
 * const { plane, stats } = displayPlane(sliceBatch(result.attribution, 0, 1), 'sum', [224, 224]);
 * ```
 */
export function displayPlane(map: Tensor, reduction: Reduction, size: readonly [number, number]): DisplayPlane {
  let t = map;
  const channels = t.shape[1] as number;
  const used: Reduction = channels === 1 ? 'none' : reduction === 'none' ? 'sum' : reduction;
  if (used === 'mean') {
    t = reduceChannels(t, 'sum');
    for (let i = 0; i < t.data.length; i++) t.data[i] = (t.data[i] as number) / channels;
  } else if (used !== 'none') {
    t = reduceChannels(t, used);
  }
  const s = stats(t.data);
  const [h, w] = [t.shape[2] as number, t.shape[3] as number];
  if (h === size[0] && w === size[1]) return { plane: t, stats: s, reduction: used };
  return { plane: upsampleBilinear(t, size), stats: s, reduction: used, upsampling: `bilinear ${h}×${w} → ${size[0]}×${size[1]}` };
}

/**
 * Runs one method for every target on one image and renders its row of the report grid.
 *
 * @example
 * ```ts
 * const row = await explainWithMethod(model, x, image, targets, 'grad-cam', ctx, 'blended');
 * ```
 */
export async function explainWithMethod(
  model: Model,
  x: Tensor,
  image: RgbImage,
  targets: readonly Prediction[],
  name: string,
  ctx: RecipeContext,
  mode: OverlayMode,
  signal?: AbortSignal,
): Promise<MethodReport> {
  const method = explainMethod(name);
  const recipe = recipeFor(name, ctx);
  const batch = targets.length === 1 ? x : concatBatch(targets.map(() => x));
  const t0 = performance.now();
  const result = await method.attribute(model, batch, { ...recipe.options, target: targets.map((t) => t.index), ...(signal ? { signal } : {}) });
  const timeMs = performance.now() - t0;
  const size = [x.shape[2] as number, x.shape[3] as number] as const;
  const planes = targets.map((_, i) => displayPlane(sliceBatch(result.attribution, i, 1), recipe.reduction, size));
  const sign = modeSign(recipe.sign, mode);
  const rangeOptions = { sign, floor: recipe.floor };
  const share = planes.length > 1 && recipe.shareAcrossTargets !== false;
  const shared = share
    ? sharedDisplayRange(
        planes.map((p) => p.plane.data),
        rangeOptions,
      )
    : undefined;
  const cells: MapCell[] = [];
  for (const [i, p] of planes.entries()) {
    const range = shared ?? displayRange(p.plane.data, rangeOptions);
    const overlay = renderOverlay(p.plane, image, { mode, sign, range });
    cells.push({
      target: targets[i] as Prediction,
      image: { png: await pixelsToDataUri(overlay), width: overlay.width, height: overlay.height },
      range: overlay.range,
      ...(overlay.colormap ? { colormap: overlay.colormap } : {}),
      clipped: overlay.clipped,
      stats: p.stats,
      ...(result.delta
        ? {
            delta: result.delta[i] as number,
            convergence: convergenceCheck(method.name, result.delta[i] as number, result.scores[i] as number, recipe.settings),
          }
        : {}),
      ...(overlay.mask ? { mask: overlay.mask } : {}),
    });
  }
  return {
    name: method.name,
    description: method.description,
    kind: method.kind,
    settings: withDetails(recipe.settings, result.details),
    display: {
      mode,
      sign,
      reduction: planes[0]?.reduction ?? 'none',
      ...(planes[0]?.upsampling ? { upsampling: planes[0].upsampling } : {}),
      sharedAcrossTargets: share,
    },
    timeMs,
    cells,
  };
}
