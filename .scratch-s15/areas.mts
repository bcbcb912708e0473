import sharp from 'sharp';
import { readFileSync } from 'node:fs';
const dir = '/tmp/s15/pp';
const rows = readFileSync(`${dir}/index.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const labels = readFileSync(`${dir}/label.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]);
const area = new Map<string, number[]>();
for (const r of rows) {
  if (!r[7]) continue;
  const { data, info } = await sharp(`${dir}/images/${r[7]}`).raw().toBuffer({ resolveWithObject: true });
  const counts = new Map<number, number>();
  for (let i = 0; i < info.width * info.height; i++) {
    const l = data[i * info.channels] + 256 * data[i * info.channels + 1];
    if (l) counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  for (const [l, c] of counts) { const n = labels[l - 1]; area.set(n, [...(area.get(n) ?? []), c]); }
}
for (const [n, a] of area) console.log(n, a.length, Math.round(a.reduce((x, y) => x + y, 0) / a.length), 'px; equiv radius', (Math.sqrt(a.reduce((x, y) => x + y, 0) / a.length / Math.PI)).toFixed(1));
