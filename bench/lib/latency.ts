/** Latency figures from individual samples (client-side, milliseconds). */

export interface LatencyStats {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles: with n samples, p99 is the ⌈0.99 n⌉-th smallest (the maximum when n ≤ 100). */
export function latencyStats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
  return {
    count: sorted.length,
    mean: sorted.reduce((n, x) => n + x, 0) / Math.max(1, sorted.length),
    p50: rank(0.5),
    p90: rank(0.9),
    p99: rank(0.99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}
