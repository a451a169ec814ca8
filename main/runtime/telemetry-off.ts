/**
 * onnxruntime-node's Linux build starts a telemetry client with the first session it creates: it
 * reads /etc/machine-id and /proc/self/cmdline, writes /tmp/mat-debug-PID.log, and scans the
 * command line recursively, so about 30 KB of arguments (`vigil identify` with a few hundred
 * photos) overflowed the main thread's stack and killed the process (SIGSEGV). A privacy-first
 * console sends nothing anywhere either way. onnxruntime reads this variable when its first
 * session creates its environment. Worker threads cannot set the process's environment (their
 * process.env is a copy), so the main thread imports this before it starts any inference worker.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';
