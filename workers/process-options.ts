/**
 * How every worker process is started (`npm run dev`, the fault tests and benchmarks; package.json's
 * `worker` script spells the same, test/unit/worker-process-options.test.ts holds them together):
 * - a 2 MB young generation (V8's default grows to 16 MB a semi-space);
 * - V8's memory saver mode: after a burst of garbage (a list's 170k records parsed in a first import)
 *   V8 would otherwise grow the old generation several times past what is live and keep its freed
 *   pages, and the worker stayed hundreds of MB above its live heap; the mode collects and gives
 *   pages back sooner, for some CPU in the syncs (docs/benchmarks.md, "The worker's memory");
 * - two malloc arenas (glibc's default is one per thread in use, each keeping what it freed).
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=2', '--memory-saver-mode'] as const;
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' } as const;
