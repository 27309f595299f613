/** Small statistics over samples. */

export const median = (values: ReadonlyArray<number>): number => percentile(values, 50)

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

export const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits
