// Unpacking .tar.bz2 with the system tar. Node has no bzip2 in its standard library and the
// archives are large (up to 1 GB): GNU tar with bzip2 is on every Debian machine, streams, and
// by default refuses members with '..' or absolute paths, so a hostile archive cannot write
// outside the staging directory.
import { spawn } from 'node:child_process';

export function extractTarBz2(archive: string, intoDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // --no-same-owner: archives are built on the maintainer's Mac (uid 501); never chown to that.
    const child = spawn('tar', ['-xjf', archive, '-C', intoDir, '--no-same-owner'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => { if (stderr.length < 4000) stderr += d; });
    child.once('error', (err) => reject(new Error(`cannot run tar (is it installed? apt-get install tar bzip2): ${err.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`tar -xjf ${archive} failed (exit ${code}): ${stderr.trim() || 'no message'}`));
    });
  });
}
