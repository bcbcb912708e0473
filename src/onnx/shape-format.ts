/** Formats a shape with symbolic dims as `[N, 3, 224, 224]`. */
export function formatShapeList(dims: readonly (number | string)[]): string {
  return `[${dims.map((d) => (typeof d === 'string' && d.startsWith('?') ? '?' : d)).join(', ')}]`;
}
