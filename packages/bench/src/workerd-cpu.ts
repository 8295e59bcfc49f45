/**
 * CPU time of the workerd process Miniflare started, read from /proc (Linux only; read-only, never signals it).
 *
 * workerd does not report per-request CPU locally, so the bench reads the process's CPU before and after a batch of
 * sequential requests and divides by the batch size. The figure is process-wide: it includes the D1 simulation
 * (SQLite runs inside workerd), Miniflare's entry worker and workerd's I/O threads, not only the Worker's isolate.
 *
 * Source: proc(5). `/proc/<pid>/task/<tid>/schedstat` field 1 is the time the thread spent on a CPU, in ns;
 * `/proc/<pid>/stat` fields 14 and 15 (utime, stime) are in clock ticks (USER_HZ, 100 on Linux x86-64).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Reads the cumulative CPU time of one process, in nanoseconds. */
export interface CpuProbe {
  pid: number;
  /** `schedstat` (ns resolution, summed over live threads) or `stat` (10 ms ticks, whole process). */
  source: 'schedstat' | 'stat';
  readNs(): number;
}

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every mainstream Linux build. */
const USER_HZ = 100;

function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) is parenthesized and may contain spaces; fields after the last ')' are space-separated.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null; // the process exited while we scanned
  }
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The workerd processes among this process's descendants (Miniflare spawns it as a child). */
export function findWorkerdPids(root = process.pid): number[] {
  const pids = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
  const children = new Map<number, number[]>();
  for (const pid of pids) {
    const ppid = parentPid(pid);
    if (ppid !== null) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let i = 0; i < queue.length; i++) {
    const pid = queue[i]!;
    if (commOf(pid).startsWith('workerd')) found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

function schedstatNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread exited between readdir and read; its time is lost to this sample (workerd threads are long-lived)
    }
  }
  return total;
}

function statNs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the comm, field index 0 is field 3 (state); utime and stime are fields 14 and 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1e9) / USER_HZ;
}

/**
 * A probe on the single workerd descendant of this process (not counting the pids in `exclude`, e.g. the workerd
 * processes that ran before a new Miniflare started). Returns null (CPU column shown as "n/a") when /proc is
 * unavailable or not exactly one workerd process is found.
 */
export function workerdCpuProbe(exclude: ReadonlySet<number> = new Set()): CpuProbe | null {
  if (!existsSync('/proc/self/stat')) return null;
  const pids = findWorkerdPids().filter((pid) => !exclude.has(pid));
  if (pids.length !== 1) return null;
  const pid = pids[0]!;
  // Kernels without CONFIG_SCHEDSTATS report zeros in schedstat; fall back to tick-resolution stat then.
  const useSchedstat = existsSync(`/proc/${pid}/task/${pid}/schedstat`) && schedstatNs(pid) > 0;
  return useSchedstat
    ? { pid, source: 'schedstat', readNs: () => schedstatNs(pid) }
    : { pid, source: 'stat', readNs: () => statNs(pid) };
}
