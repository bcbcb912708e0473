import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeLabelPng } from '../../src/datasets/broden/reader-node.js';

/** A 2×1 PNG from raw bytes; `progressive` writes an interlaced file, which goes through libvips. */
async function png(pixels: number[], channels: 1 | 2 | 3, progressive = false): Promise<Uint8Array> {
  const image = sharp(Buffer.from(pixels), { raw: { width: 2, height: 1, channels } });
  return (channels < 3 ? image.toColourspace('b-w') : image).png({ progressive }).toBuffer();
}

describe('segmentation PNG labels', () => {
  it('an RGB PNG gives R + 256·G', async () => {
    const { labels } = await decodeLabelPng(await png([3, 1, 0, 9, 0, 0], 3), 'rgb.png');
    assert.deepEqual([...labels], [259, 9]);
  });
  it('a grey PNG gives its grey value, read directly and through libvips alike', async () => {
    for (const progressive of [false, true]) {
      const { labels, width, height } = await decodeLabelPng(await png([5, 200], 1, progressive), 'grey.png');
      assert.deepEqual([...labels], [5, 200], `progressive: ${progressive}`);
      assert.deepEqual([width, height], [2, 1]);
    }
  });
  it('a grey PNG with alpha gives its grey value, not grey + 256·alpha', async () => {
    for (const progressive of [false, true]) {
      const { labels } = await decodeLabelPng(await png([4, 255, 7, 255], 2, progressive), 'grey-alpha.png');
      assert.deepEqual([...labels], [4, 7], `progressive: ${progressive}`);
    }
  });
  it('bytes that are not a PNG are one clear error naming the file', async () => {
    await assert.rejects(decodeLabelPng(new Uint8Array([1, 2, 3]), 'broken.png'), /Cannot decode the segmentation broken\.png/);
  });
});
