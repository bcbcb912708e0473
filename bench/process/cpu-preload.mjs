// Preload for bench child processes (`node --import <this>`): appends the process's CPU time
// (user + system, every thread: ONNX Runtime's pool included) in seconds to the file named by
// LUCERNA_BENCH_CPU_FILE when the process exits.
import { appendFileSync } from 'node:fs';

const file = process.env.LUCERNA_BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.cpuUsage();
    appendFileSync(file, `${(u.user + u.system) / 1e6}\n`);
  });
}
