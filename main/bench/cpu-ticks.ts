import { readFileSync } from 'node:fs';

/** User + system CPU ticks of these processes so far (Linux /proc), for the benches' CPU figures. */
export function cpuTicks(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
      total += Number(parts[11]) + Number(parts[12]);
    } catch {
      /* a decoder restarted: its ticks are lost, which only under-reports */
    }
  }
  return total;
}
