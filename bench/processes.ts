// What the benchmarks share: their own processes (started, awaited, always stopped) and a
// Sophon home with one API-key connector pointed at the benchmark upstream.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SOPHON = join(ROOT, 'bin', 'sophon.js');
export const TSX_RUN = join(ROOT, 'bin', 'tsx-run.js');
/** The benchmark upstream's API key (bench/proxy/upstream.ts checks it; no answer may carry it). */
export const KEY = 'sk-bench-0123456789abcdef0123456789';

/** Every process a benchmark starts, so that `stopAll` ends each of them (by its own pid). */
export class Processes {
  private readonly children: ChildProcess[] = [];

  start(command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  async stopAll(): Promise<void> {
    for (const child of this.children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill(child.spawnfile === 'nginx' ? 'SIGQUIT' : 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
    this.children.length = 0;
  }
}

export function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${text}`)), 30_000);
    child[stream]?.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      const match = pattern.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${text}`)));
  });
}

export function exec(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A Sophon home (under `dir`) with the connector "bench" at the upstream's /api, its API key
 * stored, and the approved skill "bench" (GET under /items). Returns the environment for it.
 */
export async function benchHome(dir: string, upstreamPort: number, key: string, broker: Record<string, unknown>): Promise<{ SOPHON_HOME: string; SOPHON_VAULT_PASSPHRASE: string; HOME: string }> {
  const env = { SOPHON_HOME: join(dir, 'sophon'), SOPHON_VAULT_PASSPHRASE: 'bench passphrase', HOME: dir };
  await mkdir(join(env.SOPHON_HOME, 'connectors'), { recursive: true });
  await mkdir(join(env.SOPHON_HOME, 'config'), { recursive: true });
  await writeFile(join(env.SOPHON_HOME, 'connectors', 'bench.json'), JSON.stringify({ id: 'bench', name: 'Bench', category: 'other', auth: [{ type: 'api_key' }], api: { baseUrl: `http://127.0.0.1:${upstreamPort}/api` } }));
  await writeFile(join(env.SOPHON_HOME, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Broker: broker } }));
  await writeFile(join(dir, 'skill.json'), JSON.stringify({ id: 'bench', name: 'Bench', credentials: [{ ref: 'bench', methods: ['GET'], paths: ['/items'] }] }));
  for (const [args, input] of [[['connect', 'add', 'bench'], key], [['skills', 'add', join(dir, 'skill.json')]], [['skills', 'approve', 'bench']]] as Array<[string[], string?]>) {
    const result = await exec(process.execPath, [SOPHON, ...args], { env, ...(input ? { input } : {}) });
    if (result.code !== 0) throw new Error(`sophon ${args.join(' ')}: ${result.stderr}`);
  }
  return env;
}
