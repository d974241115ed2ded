/**
 * The shape of every benchmark child process: read a JSON plan from argv,
 * run, print one JSON line of figures (with the child's own CPU and peak
 * memory) on stdout, and exit non-zero on failure.
 */
import { performance } from 'node:perf_hooks';

/** What every child reports beside its own figures. */
export interface ChildFigures {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
}

/** Runs `measure` on the plan in argv[2]; `measure` returns its figures and the seconds its measured part took. */
export function childMain<P, F extends object>(measure: (plan: P) => Promise<F & { seconds: number }>): void {
  const cpu = process.cpuUsage();
  const start = performance.now();
  measure(JSON.parse(process.argv[2]) as P).then(
    (figures) => {
      const used = process.cpuUsage(cpu);
      const own = {
        cpuSeconds: Math.round(((used.user + used.system) / 1e6) * 100) / 100,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        wallSeconds: Math.round(performance.now() - start) / 1000,
      };
      process.stdout.write(`${JSON.stringify({ ...own, ...figures })}\n`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
