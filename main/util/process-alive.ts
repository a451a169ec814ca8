/** Whether a process with this pid exists and may be signalled by this one (signal 0 probes only). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
