/** Milliseconds since `start` (a `process.hrtime.bigint()`). */
export const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** The middle value (the upper one of an even count). */
export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
