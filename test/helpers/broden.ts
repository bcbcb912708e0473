/** Tiny Broden-format sets written with the library's writer, for tests. */
import { BrodenWriter } from '../../src/datasets/broden/node.js';

const rgb = (w: number, h: number, v: number) => ({ rgb: new Uint8Array(w * h * 3).fill(v), width: w, height: h });

/** A 2-image set: color planes (2×2, half of the 4×4 images), a part category with two planes, texture image-level. */
export async function writeTinySet(dir: string): Promise<void> {
  await using w = await BrodenWriter.create(dir, {
    categories: ['color', 'part', 'texture'],
    labels: [
      { name: 'red', category: 'color' },
      { name: 'blue', category: 'color' },
      { name: 'corner', category: 'part' },
      { name: 'dots', category: 'texture' },
    ],
  });
  await w.add({
    name: 'a',
    image: rgb(4, 4, 10),
    sh: 2,
    sw: 2,
    labels: { color: [Int32Array.of(1, 1, 2, 0)], part: [Int32Array.of(3, 0, 0, 0), Int32Array.of(0, 0, 0, 3)], texture: ['dots'] },
  });
  await w.add({ name: 'b', image: rgb(4, 4, 20), sh: 2, sw: 2, labels: { color: [Int32Array.of(2, 2, 2, 2)] } });
  await w.close();
}
