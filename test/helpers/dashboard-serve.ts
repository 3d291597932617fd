import { startCli } from './run-cli.ts';

export interface ServedDashboard {
  /** The one-time login URL `sophon serve --dashboard` printed. */
  readonly loginUrl: string;
  readonly origin: string;
  readonly port: number;
  output(): { stdout: string; stderr: string };
  stop(): Promise<number | null>;
}

/** Starts a real `sophon serve --dashboard` child process and reads the URL it prints. */
export async function serveDashboard(env: NodeJS.ProcessEnv, extraArgs: readonly string[] = []): Promise<ServedDashboard> {
  const served = startCli(['serve', '--dashboard', ...extraArgs], { env, ready: /dashboard at http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/, timeoutMs: 60_000 });
  await served.ready;
  const match = /dashboard at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=\S+)/.exec(served.output().stderr);
  if (!match) throw new Error(`no dashboard URL in:\n${served.output().stderr}`);
  return {
    loginUrl: match[1]!,
    port: Number(match[2]),
    origin: `http://127.0.0.1:${match[2]}`,
    output: served.output,
    stop: () => served.stop(),
  };
}
