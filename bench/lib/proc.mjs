// Reads /proc for the process tree the harness started: descendants, their names, resident memory and CPU
// time, so results can state what the local runtime cost in memory and CPU (Linux only; null elsewhere).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const CLOCK_TICKS = 100; // USER_HZ on Linux; /proc/<pid>/stat times are in these ticks.

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may contain spaces and parentheses: split after the last ')'.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    return { pid, comm, ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
  } catch {
    return null;
  }
}

/** Every live descendant of `rootPid` (and the root itself), with its command name. */
export function processTree(rootPid) {
  let all;
  try {
    all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readStat(Number(d))).filter(Boolean);
  } catch {
    return [];
  }
  const byParent = new Map();
  for (const p of all) {
    if (!byParent.has(p.ppid)) byParent.set(p.ppid, []);
    byParent.get(p.ppid).push(p);
  }
  const out = [];
  const root = all.find((p) => p.pid === rootPid);
  const stack = root ? [root] : [];
  while (stack.length && out.length < 10_000) {
    const p = stack.pop();
    out.push(p);
    for (const child of byParent.get(p.pid) ?? []) stack.push(child);
  }
  return out;
}

function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function cmdline(pid) {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    // --var NAME:value carries the run's (throwaway) admin and encryption keys: keep the names only.
    return args.map((a, i) => (args[i - 1] === "--var" ? a.replace(/:.*/s, ":…") : a)).join(" ").slice(0, 160);
  } catch {
    return "";
  }
}

/** RSS (MiB) per process of the tree, plus totals per command name (workerd, node = wrangler, esbuild…). */
export function memoryOfTree(rootPid) {
  const procs = processTree(rootPid).map((p) => ({ pid: p.pid, name: p.comm, rss_mib: mib(rssKiB(p.pid)), cmd: cmdline(p.pid) }));
  if (procs.length === 0) return { processes: [], by_name: {}, total_rss_mib: null, reason: "process tree not readable from /proc" };
  const byName = {};
  for (const p of procs) byName[p.name] = round1((byName[p.name] ?? 0) + (p.rss_mib ?? 0));
  const total = round1(procs.reduce((s, p) => s + (p.rss_mib ?? 0), 0));
  return { processes: procs, by_name: byName, total_rss_mib: total };
}

/** Total CPU seconds (user + system) consumed so far by the processes of the tree whose name matches. */
export function cpuSecondsOfTree(rootPid, nameFilter = () => true) {
  const procs = processTree(rootPid).filter((p) => nameFilter(p.comm));
  if (procs.length === 0) return null;
  return procs.reduce((s, p) => s + p.utime + p.stime, 0) / CLOCK_TICKS;
}

/**
 * CPU seconds so far of every thread of the tree's processes whose name matches, keyed "pid/tid". workerd runs
 * a Worker's isolates (and Miniflare's local services) on one thread, so how busy its busiest thread is during a
 * load says how close the local runtime is to saturation — where latency stops measuring the work per event and
 * starts measuring the queue in front of that one thread.
 */
export function threadCpuSeconds(rootPid, nameFilter = () => true) {
  const out = new Map();
  for (const p of processTree(rootPid).filter((q) => nameFilter(q.comm))) {
    let tids;
    try {
      tids = readdirSync(`/proc/${p.pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const t = readStat(`${p.pid}/task/${tid}`);
      if (t) out.set(`${p.pid}/${tid}`, (t.utime + t.stime) / CLOCK_TICKS);
    }
  }
  return out.size ? out : null;
}

/** The busiest thread's share of one core between two threadCpuSeconds() snapshots `seconds` apart (0…1), or null. */
export function busiestThreadShare(before, after, seconds) {
  if (!before || !after || !(seconds > 0)) return null;
  let busiest = 0;
  for (const [key, cpu] of after) busiest = Math.max(busiest, cpu - (before.get(key) ?? 0));
  return Math.round((busiest / seconds) * 100) / 100;
}

/** The TCP ports each process listens on (IPv4 and IPv6): its sockets' inodes found in /proc/net/tcp{,6}. pid → ports. */
export function listeningPortsByPid(pids) {
  const pidOfInode = new Map();
  for (const pid of pids) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) pidOfInode.set(m[1], pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  const out = new Map(pids.map((pid) => [pid, []]));
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st … inode: state 0A is LISTEN; the local port is hex after the colon.
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== "0A" || !pidOfInode.has(f[9])) continue;
      out.get(pidOfInode.get(f[9])).push(parseInt(f[1].split(":")[1], 16));
    }
  }
  return out;
}

/** Total CPU seconds of the whole machine (all cores) from /proc/stat, to compare against. */
export function machineCpuSeconds() {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
    const [, ...nums] = line.trim().split(/\s+/).map(Number);
    const busy = nums[0] + nums[1] + nums[2] + (nums[5] ?? 0) + (nums[6] ?? 0) + (nums[7] ?? 0);
    return { busy: busy / CLOCK_TICKS, total: nums.reduce((a, b) => a + b, 0) / CLOCK_TICKS };
  } catch {
    return null;
  }
}

function mib(kib) {
  return kib === null ? null : round1(kib / 1024);
}

function round1(x) {
  return Math.round(x * 10) / 10;
}
