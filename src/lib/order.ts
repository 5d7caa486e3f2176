/**
 * Code-unit order: the same on every machine and locale (paths, ids). The one comparator for it.
 *
 * @example
 * ['b', 'B', 'a'].sort(compareCodeUnits) // ['B', 'a', 'b']
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
