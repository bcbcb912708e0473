/**
 * The small PNG writer and reader (src/io/png.ts) against libvips: palette images with
 * transparency decode to what was written; plain 8-bit RGB and RGBA files decode to libvips's
 * samples under every row filter; every other kind is left to libvips; corrupt files throw.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeSimplePng, encodePalettePng } from '../../src/io/png.js';

const samples = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + seed * 11 + ((i * i) % 13)) % 256));

async function vips(png: Buffer): Promise<{ data: Buffer; channels: number; width: number; height: number }> {
  const { data, info } = await sharp(png).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels, width: info.width, height: info.height };
}

describe('png', () => {
  it('writes palette PNGs with transparency that libvips reads back', async () => {
    const indices = Uint8Array.from({ length: 6 * 4 }, (_, i) => i % 3);
    const palette = [
      [0, 0, 0, 0],
      [10, 20, 30, 179],
      [255, 140, 0, 255],
    ] as const;
    const got = await vips(Buffer.from(encodePalettePng(indices, 6, 4, palette)));
    assert.deepEqual([got.width, got.height, got.channels], [6, 4, 4]);
    for (let p = 0; p < indices.length; p++)
      assert.deepEqual([...got.data.subarray(p * 4, p * 4 + 4)], [...(palette[indices[p] as number] as readonly number[])]);
    assert.throws(() => encodePalettePng(indices, 5, 4, palette), RangeError);
  });

  it('reads 8-bit RGB and RGBA files exactly as libvips does, whatever the row filters', async () => {
    for (const channels of [3, 4] as const) {
      for (const options of [{ adaptiveFiltering: true }, { adaptiveFiltering: false }, { compressionLevel: 0 }]) {
        const png = await sharp(samples(9 * 7 * channels, channels), { raw: { width: 9, height: 7, channels } })
          .png(options)
          .toBuffer();
        const ours = decodeSimplePng(new Uint8Array(png));
        const ref = await vips(png);
        assert.ok(ours, 'decoded');
        assert.deepEqual([ours.width, ours.height, ours.channels], [ref.width, ref.height, ref.channels]);
        assert.equal(Buffer.compare(Buffer.from(ours.data), ref.data), 0, `${channels} channels, ${JSON.stringify(options)}`);
      }
    }
  });

  it('leaves palette, 16-bit and transparent files to libvips, and throws on a corrupt one', async () => {
    const rgb = samples(4 * 4 * 3, 1);
    const palette = await sharp(rgb, { raw: { width: 4, height: 4, channels: 3 } })
      .png({ palette: true })
      .toBuffer();
    const deep = await sharp(rgb, { raw: { width: 4, height: 4, channels: 3 } })
      .png()
      .toColourspace('rgb16')
      .toBuffer();
    assert.equal(decodeSimplePng(new Uint8Array(palette)), undefined);
    assert.equal(decodeSimplePng(new Uint8Array(deep)), undefined);
    assert.equal(decodeSimplePng(encodePalettePng(new Uint8Array(4), 2, 2, [[0, 0, 0, 0]])), undefined);
    assert.throws(() => decodeSimplePng(Uint8Array.of(1, 2, 3)), RangeError);
    const good = await sharp(rgb, { raw: { width: 4, height: 4, channels: 3 } })
      .png()
      .toBuffer();
    assert.throws(() => decodeSimplePng(new Uint8Array(good.subarray(0, good.length - 20))));
  });
});
