/** One micro-benchmark: `fn` is one operation; rows are grouped by `group` in the report. */
export interface Case {
  group: string;
  name: string;
  /** Bytes processed per operation (for MB/s), 0 if not meaningful. */
  bytesPerOp: number;
  fn: () => unknown;
}
