// Cloudflare's published prices (Workers Paid, beyond the monthly allowances), as cited in bench/README.md.
// Pages read 2026-11-28:
//   Workers:          https://developers.cloudflare.com/workers/platform/pricing/
//   Durable Objects:  https://developers.cloudflare.com/durable-objects/platform/pricing/
//   D1:               https://developers.cloudflare.com/d1/platform/pricing/
export const PRICES_USD = {
  workersRequestPerMillion: 0.3,
  workersCpuMsPerMillion: 0.02,
  doRequestPerMillion: 0.15,
  doGbSecondPerMillion: 12.5,
  doRowsWrittenPerMillion: 1.0,
  d1RowsWrittenPerMillion: 1.0,
};

/** A Durable Object is billed for 128 MB while active. */
export const DO_MEMORY_GB = 0.128;

/**
 * Cost of one million events from what a run measured for `events` events: requests to the Worker and to the
 * DO (appends plus flush alarms), the time both were busy (wall time: an upper bound on CPU, and what a DO is
 * billed while it cannot hibernate), and rows written in the DO's SQLite and in D1.
 */
export function costPerMillionEvents({ events, requests, flushes, seconds, doRows, d1Rows }) {
  const scale = 1_000_000 / events;
  const workerRequests = requests * scale;
  const doRequests = (requests + flushes) * scale;
  const busyMs = seconds * 1000 * scale;
  const lines = {
    workers_requests: (workerRequests / 1e6) * PRICES_USD.workersRequestPerMillion,
    workers_cpu_upper_bound: (busyMs / 1e6) * PRICES_USD.workersCpuMsPerMillion,
    do_requests: (doRequests / 1e6) * PRICES_USD.doRequestPerMillion,
    do_duration: (((busyMs / 1000) * DO_MEMORY_GB) / 1e6) * PRICES_USD.doGbSecondPerMillion,
    do_rows_written: ((doRows * scale) / 1e6) * PRICES_USD.doRowsWrittenPerMillion,
    d1_rows_written: ((d1Rows * scale) / 1e6) * PRICES_USD.d1RowsWrittenPerMillion,
  };
  return { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
}
