/** The procedural concept set (colours, shapes, parts, textures) in Broden format. */
export * from './generate.js';
export * from './shapes.js';
