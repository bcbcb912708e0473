/**
 * The benchmark sections beyond the core table, by name. Each returns a markdown section.
 */
import { benchMethods } from './methods.js';
import { benchMetrics } from './metrics.js';
import { benchPerturbation } from './perturbation.js';
import type { Section } from './report.js';

export interface SectionOptions {
  readonly reps: number;
  readonly quick: boolean;
}

/** Section runners by name (`npm run bench -- --only <name>`). */
export const sectionRunners: Record<string, (o: SectionOptions) => Promise<Section>> = {
  methods: benchMethods,
  perturbation: benchPerturbation,
  metrics: benchMetrics,
  visualization: async (o) => (await import('./visualization.js')).benchVisualization(o),
  superpixel: async (o) => (await import('./superpixel.js')).benchSuperpixel(o),
  startup: async (o) => (await import('./startup.js')).benchStartup(o),
  dissection: async (o) => (await import('./dissection.js')).benchDissection(o),
  'receptive-field': async (o) => (await import('./receptive-field.js')).benchReceptiveField(o),
  disentangle: async (o) => (await import('./disentangle.js')).benchDisentangle(o),
  training: async (o) => (await import('./training.js')).benchTraining(o),
  registry: async (o) => (await import('./registry.js')).benchRegistry(o),
  deeplift: async (o) => (await import('./deeplift-cost.js')).benchDeepliftCost(o),
  graph: async (o) => (await import('./graph.js')).benchGraph(o),
  browser: async (o) => (await import('./browser.js')).benchBrowser(o),
};
