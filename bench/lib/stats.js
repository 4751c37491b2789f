/**
 * The figures every bench prints, computed one way.
 *
 * `median`: the middle value, or the mean of the two middle values for an even count (for two runs,
 * their mean, not the slower of the two).
 */
export function median(list) {
  if (list.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The nearest-rank percentile `p` (0 to 100) of a list of latencies (NaN for none); `percentile(list, 50)` is the median of an odd count. */
export function percentile(list, p) {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
