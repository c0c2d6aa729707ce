import fs from 'node:fs';
import path from 'node:path';

/** CPU seconds used so far by every process of the Postgres cluster (postmaster and its children). */
export function postgresCpuSeconds(dataDir: string): number {
  try {
    const postmaster = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    let ticks = 0;
    for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        // Fields after the ")" that ends the command name: state ppid … utime stime cutime cstime.
        const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number) as number[];
        // The postmaster's cutime/cstime hold the CPU of its children that have exited.
        if (Number(pid) === postmaster) ticks += (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0);
        else if (Number(fields[1]) === postmaster) ticks += (utime ?? 0) + (stime ?? 0);
      } catch {}
    }
    return ticks / 100; // USER_HZ
  } catch {
    return Number.NaN; // no /proc (not Linux)
  }
}
