/**
 * A private nginx for tests: no root, no master process, its temp paths and logs in a temporary
 * directory, listening on a free loopback port; the caller gives the body of its `http {}` block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './listen.js';
import { sleep } from './wait.js';

export interface PrivateNginx {
  /** Its directory (config, logs, temp paths; the caller may add files before it is ready). */
  dir: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Stops nginx and removes its directory. */
  stop(): void;
}

export interface NginxOptions {
  /** The inside of `http { ... }`, given nginx's directory and port. */
  http: (dir: string, port: number) => string;
  /** Called with the directory before nginx starts (files to serve). */
  prepare?: (dir: string) => void;
  /** True once nginx answers as expected; polled every 50 ms, at most 100 times. */
  ready: (base: string) => Promise<boolean>;
}

/** Starts `binary` (from `peer('nginx')`) as a private nginx; throws with its error log if it never gets ready. */
export async function startNginx(binary: string, options: NginxOptions): Promise<PrivateNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'httpkit-nginx-'));
  mkdirSync(join(dir, 'tmp'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  options.prepare?.(dir);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${options.http(dir, port)}
}
`,
  );
  const nginx: ChildProcess = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  const stop = (): void => {
    nginx.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    if (await options.ready(base).catch(() => false)) return { dir, port, base, stop };
    await sleep(50);
  }
  const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '(no error log)';
  stop();
  throw new Error(`nginx did not start: ${log}`);
}
