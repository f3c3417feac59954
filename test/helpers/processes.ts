/** What /proc says about processes (as ps would), for tests that check what was started and what ended. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** State and parent pid from /proc/<pid>/stat (the command name may contain spaces and parentheses). */
function stat(pid: number | string): { state: string; ppid: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return null; // gone meanwhile
  }
}

/** Running or sleeping; gone or a zombie counts as ended. */
export function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  const s = stat(pid);
  return s !== null && s.state !== 'Z';
}

/** Live (not zombie) processes whose parent is `ppid`. */
export function childrenOf(ppid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      const s = stat(p);
      return s !== null && s.ppid === ppid && s.state !== 'Z';
    })
    .map(Number);
}
