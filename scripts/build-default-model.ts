/**
 * Converts the default model (nsfwjs MobileNetV2) to ONNX ahead of first use.
 *
 *   node --import tsx scripts/build-default-model.ts              # fill the cache, print its path
 *   node --import tsx scripts/build-default-model.ts out.onnx     # write out.onnx + out.lucerna.json
 *   node --import tsx scripts/build-default-model.ts --logits ... # without the final softmax
 */

import { writeConvertedModel } from '../src/convert/node.js';
import { convertNsfwjsMobileNetV2, defaultModelPath } from '../src/convert/nsfwjs.js';
import { isLucernaError } from '../src/errors.js';

const args = process.argv.slice(2);
const logits = args.includes('--logits');
const out = args.find((a) => !a.startsWith('--'));
try {
  if (out) {
    await writeConvertedModel(await convertNsfwjsMobileNetV2(logits), out);
    console.log(out);
  } else {
    console.log(await defaultModelPath({ logits }));
  }
} catch (e) {
  console.error(isLucernaError(e) ? e.oneLine() : e);
  process.exitCode = 1;
}
