import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Points TMPDIR (what os.tmpdir() answers, in this process and in the processes it starts) at a
 * fresh directory until `restore`, so a test sees exactly what an import leaves there.
 */
export function freshTempDir(): { dir: string; restore: () => void } {
  const previous = process.env.TMPDIR;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ale-test-tmp-'));
  process.env.TMPDIR = dir;
  return {
    dir,
    restore() {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The files in `dir`, and the open handles of process `pid` on anything under it (deleted or not).
 * A worker process started under tsx keeps its compile cache (`tsx-<uid>`) there: not an import's.
 */
export function leftIn(dir: string, pid: number | 'self' = 'self'): { files: string[]; handles: string[] } {
  const fds = `/proc/${pid}/fd`;
  const handles: string[] = [];
  for (const fd of fs.readdirSync(fds)) {
    try {
      const target = fs.readlinkSync(path.join(fds, fd));
      if (target.startsWith(`${dir}/`)) handles.push(target);
    } catch {
      // closed while we looked
    }
  }
  return { files: fs.readdirSync(dir).filter((name) => !name.startsWith('tsx-')), handles };
}
