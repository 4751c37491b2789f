/**
 * The median of a list of numbers, shared by every bench: the middle value, or the mean of the two
 * middle values for an even count (for two runs, their mean, not the slower of the two).
 */
export function median(list) {
  if (list.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
