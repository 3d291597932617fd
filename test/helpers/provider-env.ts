import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSign, generateKeyPairSync } from 'node:crypto';
import type { CommandResult, ProviderEnvironment } from '../../main/core/index.ts';

export interface RecordedRun {
  readonly command: string;
  readonly args: readonly string[];
}

/** A provider environment over a temporary HOME: no inherited variables, and programs answered by `run`. */
export function fakeEnvironment(options: {
  home: string;
  env?: Record<string, string>;
  platform?: NodeJS.Platform;
  run?: (command: string, args: readonly string[]) => CommandResult | Promise<CommandResult>;
}): ProviderEnvironment & { runs: RecordedRun[] } {
  const runs: RecordedRun[] = [];
  return {
    env: { HOME: options.home, PATH: join(options.home, 'bin'), ...(options.env ?? {}) },
    platform: options.platform ?? 'linux',
    runs,
    async run(command, args) {
      runs.push({ command, args: [...args] });
      return options.run ? options.run(command, args) : { code: -1, stdout: '' };
    },
  };
}

/** Puts an executable stub on the fake PATH (so the reader believes the CLI is installed). */
export async function installStub(home: string, name: string): Promise<string> {
  const dir = join(home, 'bin');
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, '#!/bin/sh\nexit 1\n');
  await chmod(file, 0o755);
  return file;
}

export async function writeClaudeCredentials(dir: string, oauth: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, '.credentials.json');
  await writeFile(file, JSON.stringify({ claudeAiOauth: oauth, ...extra }), { mode: 0o600 });
  return file;
}

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** An RS256 JWT (tests' stand-in servers sign their ID tokens for real). */
export function signJwt(claims: Record<string, unknown>, kid = 'test'): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(keys.privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/** An OpenAI-style token: the `https://api.openai.com/auth` claim names the ChatGPT account and plan. */
export function openaiJwt(options: { exp: number; accountId?: string; plan?: string; email?: string; iss?: string; aud?: string; iat?: number; sub?: string }): string {
  return signJwt({
    iss: options.iss ?? 'https://auth.openai.com',
    aud: options.aud ?? 'app_EMoamEEZ73f0CkXaXp7hrann',
    sub: options.sub ?? 'user-123',
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    exp: options.exp,
    ...(options.email ? { email: options.email } : {}),
    'https://api.openai.com/auth': { ...(options.accountId ? { chatgpt_account_id: options.accountId } : {}), ...(options.plan ? { chatgpt_plan_type: options.plan } : {}) },
  });
}
