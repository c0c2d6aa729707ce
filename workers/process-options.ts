/**
 * How every worker process is started (`npm run dev`, the fault tests and benchmarks; package.json's
 * `worker` script spells the same): a 2 MB young generation (V8's default grows to 16 MB a semi-space)
 * and two malloc arenas (glibc's default is one per thread in use, each keeping what it freed) keep
 * the long-running worker's resident memory near what it really holds, at no cost in speed (the OIG
 * sync benchmark's worker memory, docs/benchmarks.md).
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=2'] as const;
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' } as const;
