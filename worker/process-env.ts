// Environment the worker process should start with, set by every launcher we ship (the image's ENV,
// `npm run start:worker`, the benchmarks' worker process). It must be in place before the process starts:
// glibc reads it once, at start-up.
//
// MALLOC_ARENA_MAX: glibc gives each thread that allocates its own malloc arena, up to 8 per core, and the
// SDK core's Rust threads all allocate; the arenas' free space stays in RSS. Two arenas cut a worker's RSS
// with 1,000 cached waiting numbers from 496 to 438–467 MiB on 2 cores (bench/workflow-heap.ts --process),
// with no measurable cost on this few cores. An operator's own value wins.
export const WORKER_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
