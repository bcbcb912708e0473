/**
 * The rows of the studio's model view: every node output that depends on the input, with its op,
 * shape and whether Grad-CAM can explain it (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391),
 * from the same {@link ModelSummary} `lucerna inspect` prints. Pure and isomorphic.
 */
import type { ModelSummary } from '../../onnx/inspect.js';

/** One row of the model view. */
export interface LayerRow {
  /** 1-based node number in graph order. */
  readonly index: number;
  readonly op: string;
  readonly node: string;
  readonly tensor: string;
  /** `1×16×8×8`, or `?` when shapes are unknown. */
  readonly shape: string;
  /** `default`: the layer CAM methods pick; `layer`: another candidate; none: not a CAM layer. */
  readonly cam?: 'layer' | 'default';
}

/** Options of {@link layerRows}. */
export interface LayerRowOptions {
  /** Keep rows whose op, node or tensor name contains this text (case-insensitive). */
  readonly search?: string;
  /** Keep only Grad-CAM candidates. */
  readonly camOnly?: boolean;
}

/**
 * The rows to show, in graph order; constant outputs (folded shape arithmetic) are left out.
 *
 * @example
 * ```ts
 * layerRows(summary, { camOnly: true }).map((r) => r.tensor); // the Grad-CAM candidates
 * ```
 */
export function layerRows(summary: ModelSummary, options: LayerRowOptions = {}): LayerRow[] {
  const search = options.search?.trim().toLowerCase() ?? '';
  const rows: LayerRow[] = [];
  summary.nodes.forEach((node, i) => {
    const op = node.domain ? `${node.domain}.${node.opType}` : node.opType;
    for (const out of node.outputs) {
      if (out.constant) continue;
      if (options.camOnly && !out.cam) continue;
      if (search && ![op, node.name, out.name].some((text) => text.toLowerCase().includes(search))) continue;
      rows.push({ index: i + 1, op, node: node.name, tensor: out.name, shape: out.shape ? out.shape.join('×') : '?', ...(out.cam ? { cam: out.cam } : {}) });
    }
  });
  return rows;
}
