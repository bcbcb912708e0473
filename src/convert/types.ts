/**
 * Shared types of the TF.js LayersModel → ONNX converter.
 */

/** A Keras shape with its batch dim: `null` for an unknown (batch or free) dim. */
export type KerasShape = readonly (number | null)[];

/** One use of a layer's output by another layer (`inbound_nodes` entry). */
export interface InboundRef {
  readonly layer: string;
  readonly nodeIndex: number;
  readonly tensorIndex: number;
}

/** One layer of the model config, normalised over Keras 2.2.4, tfjs-layers and Keras 3 spellings. */
export interface KerasLayer {
  readonly name: string;
  /** Keras class name, e.g. `Conv2D`. */
  readonly className: string;
  /** The layer config with snake_case keys, as in model.json. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The layers whose outputs this layer reads, in argument order (empty for an InputLayer). */
  readonly inbound: readonly InboundRef[];
}

/** A parsed model topology: the layers in a valid evaluation order, plus its inputs and outputs. */
export interface KerasTopology {
  readonly layers: readonly KerasLayer[];
  /** Input layer names. */
  readonly inputs: readonly string[];
  /** Output layer names. */
  readonly outputs: readonly string[];
  /** `keras_version` of model.json, e.g. `2.2.4` or `tfjs-layers 4.22.0`. */
  readonly kerasVersion: string;
}

/**
 * A Keras tensor as the converter sees it: its ONNX tensor name and its Keras shape.
 * Rank-4 tensors are laid out NCHW in ONNX (Keras shape `[N, H, W, C]`); other ranks keep the Keras layout.
 */
export interface KTensor {
  readonly name: string;
  readonly shape: KerasShape;
}

/** A decoded weight: float32 values in the TF.js layout (HWIO kernels, `[in, out]` dense kernels). */
export interface Weight {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

/** One entry of a `weightsManifest` group's `weights` list. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: {
    readonly dtype: string;
    readonly scale?: number;
    readonly min?: number;
    readonly original_dtype?: string;
  };
}

/** One `weightsManifest` group: shard file names and the weights stored in them, in order. */
export interface WeightsGroup {
  readonly paths: readonly string[];
  readonly weights: readonly WeightSpec[];
}
