import fs from 'node:fs';

/** VmRSS (now) and VmHWM (the lifetime peak) of a process, in MB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Samples a process's RSS every `everyMs` until `stop()`, which returns the highest seen (MB). */
export function sampleRss(pid: number, everyMs = 10): { stop(): number } {
  let peak = memoryOf(pid).rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, memoryOf(pid).rss);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, memoryOf(pid).rss);
    },
  };
}
