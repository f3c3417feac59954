/** Whether a program the tests use (espeak-ng, flite, sox) is installed: tests that need it skip otherwise. */
import { execFileSync } from 'node:child_process';

export function hasCommand(command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
