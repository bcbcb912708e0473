/**
 * A small PNG writer and reader for the cheap cases, without a trip through libvips: 8-bit
 * palette images (masks drawn over pictures in reports) out, and 8-bit non-interlaced grey, grey +
 * alpha, RGB and RGBA images without transparency or colour chunks (Broden segmentations) in. The format is W3C's PNG specification
 * (https://www.w3.org/TR/png-3/). Node-only (zlib).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { concatBytes, crc32 } from './bytes-node.js';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes an 8-bit palette image: `indices` (one byte per pixel, row by row) into `palette` of
 * `[r, g, b, a]` entries (alpha 255 is opaque).
 *
 * @example
 * ```ts
 * const png = encodePalettePng(Uint8Array.of(0, 1, 1, 0), 2, 2, [[0, 0, 0, 0], [255, 140, 0, 255]]);
 * ```
 */
export function encodePalettePng(
  indices: Uint8Array,
  width: number,
  height: number,
  palette: readonly (readonly [number, number, number, number])[],
): Uint8Array {
  if (indices.length !== width * height || palette.length < 1 || palette.length > 256) throw new RangeError('encodePalettePng: bad size or palette');
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 3, 0, 0, 0], 8);
  const rgb = Uint8Array.from(palette.flatMap((p) => p.slice(0, 3)));
  const alpha = Uint8Array.from(palette, (p) => p[3]);
  const rows = new Uint8Array(height * (width + 1));
  for (let y = 0; y < height; y++) rows.set(indices.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return concatBytes([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('PLTE', rgb),
    chunk('tRNS', alpha),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A decoded image: interleaved 8-bit samples. */
export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
  readonly channels: number;
  readonly data: Uint8Array;
}

const CHANNELS: Record<number, number> = { 0: 1, 4: 2, 2: 3, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses the per-row filters of `raw` (each row: a filter byte, then `stride` bytes) into `out`. */
function unfilter(raw: Uint8Array, out: Uint8Array, height: number, stride: number, bpp: number): void {
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride;
    if (filter === 0 || (filter === 2 && y === 0)) {
      out.set(raw.subarray(src, src + stride), row);
    } else if (filter === 1) {
      for (let x = 0; x < stride; x++) out[row + x] = ((raw[src + x] as number) + (x >= bpp ? (out[row + x - bpp] as number) : 0)) & 255;
    } else if (filter === 2) {
      for (let x = 0; x < stride; x++) out[row + x] = ((raw[src + x] as number) + (out[up + x] as number)) & 255;
    } else if (filter === 3) {
      for (let x = 0; x < stride; x++) {
        const a = x >= bpp ? (out[row + x - bpp] as number) : 0;
        const b = y > 0 ? (out[up + x] as number) : 0;
        out[row + x] = ((raw[src + x] as number) + ((a + b) >> 1)) & 255;
      }
    } else if (filter === 4) {
      for (let x = 0; x < stride; x++) {
        const left = x >= bpp;
        const a = left ? (out[row + x - bpp] as number) : 0;
        const b = y > 0 ? (out[up + x] as number) : 0;
        const c = left && y > 0 ? (out[up + x - bpp] as number) : 0;
        out[row + x] = ((raw[src + x] as number) + paeth(a, b, c)) & 255;
      }
    } else throw new RangeError(`bad PNG row filter ${filter}`);
  }
}

/**
 * Decodes a PNG of 8-bit samples, not interlaced, grey / grey + alpha / RGB / RGBA; returns
 * undefined for any other kind (palette, 16-bit, interlaced…), which the caller hands to a full
 * decoder. Throws on a corrupt file.
 *
 * @example
 * ```ts
 * const png = decodeSimplePng(bytes) ?? (await decodeWithSharp(bytes));
 * ```
 */
export function decodeSimplePng(bytes: Uint8Array): DecodedPng | undefined {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new RangeError('not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (body.length !== length) throw new RangeError('truncated PNG chunk');
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      channels = CHANNELS[colour as number] ?? 0;
      if (depth !== 8 || interlace !== 0 || channels === 0) return undefined;
    } else if (type === 'IDAT') data.push(body);
    // Transparency or a colour profile may change what a full decoder gives: leave those to it.
    else if (type === 'tRNS' || type === 'iCCP' || type === 'gAMA' || type === 'sBIT') return undefined;
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (width === 0 || height === 0 || channels === 0 || data.length === 0) throw new RangeError('PNG without header or data');
  const stride = width * channels;
  const raw = inflateSync(data.length === 1 ? (data[0] as Uint8Array) : concatBytes(data));
  if (raw.length < height * (stride + 1)) throw new RangeError('PNG data too short');
  const out = new Uint8Array(height * stride);
  unfilter(raw, out, height, stride, channels);
  return { width, height, channels, data: out };
}
