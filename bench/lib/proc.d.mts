// Types for the parts of proc.mjs that test/unit/bench-verdicts.test.ts imports.
/** CPU seconds so far of every thread of the tree's matching processes, keyed "pid/tid"; null when none is readable. */
export function threadCpuSeconds(rootPid: number, nameFilter?: (comm: string) => boolean): Map<string, number> | null;
/** The busiest thread's share of one core between two snapshots `seconds` apart (0…1), or null. */
export function busiestThreadShare(before: Map<string, number> | null, after: Map<string, number> | null, seconds: number): number | null;
/** The TCP ports each process listens on, from /proc. */
export function listeningPortsByPid(pids: number[]): Map<number, number[]>;
