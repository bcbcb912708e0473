/**
 * The CAM family: a shared template (forward + backward at a layer) and small variants.
 */
export { type CamHead, cam, findCamHead } from './cam.js';
export { gradCam, gradCamMap } from './grad-cam.js';
export { GRAD_CAM_PLUS_PLUS_EPS, gradCamPlusPlus, gradCamPlusPlusMap, gradCamPlusPlusWeights } from './grad-cam-plus-plus.js';
export { type GuidedGradCamOptions, guidedGradCam, multiplyByMap } from './guided-grad-cam.js';
export { hiResCam, hiResCamMap } from './hires-cam.js';
export { layerCam, layerCamMap } from './layer-cam.js';
export {
  type CamCombiner,
  type CamOptions,
  type CamVariant,
  checkCamOptions,
  finishCamMaps,
  forEachLayerGradient,
  gradientCamMaps,
  gradientCamMethod,
  runGradientCam,
  weightedChannelSum,
} from './template.js';
