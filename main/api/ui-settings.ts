import { readFile } from 'node:fs/promises';
import { SettingsView } from './contract.ts';
import { atomicWriteJson } from './write-json.ts';

/** The window's preferences live in appsettings.json under Sophon.Ui (never a secret). */
export function readUiSettings(text: string): SettingsView {
  try {
    const json = JSON.parse(text) as { Sophon?: { Ui?: { Theme?: unknown } } };
    const theme = json.Sophon?.Ui?.Theme;
    return SettingsView.parse({ theme: theme === 'light' || theme === 'dark' ? theme : 'system' });
  } catch {
    return { theme: 'system' };
  }
}

export async function writeUiSettings(file: string, patch: Partial<SettingsView>): Promise<SettingsView> {
  const text = await readFile(file, 'utf8').catch(() => '{}');
  const json = JSON.parse(text) as Record<string, unknown> & { Sophon?: Record<string, unknown> & { Ui?: Record<string, unknown> } };
  const sophon = json.Sophon ?? {};
  const ui = { ...(sophon.Ui ?? {}), ...(patch.theme ? { Theme: patch.theme } : {}) };
  const next = { ...json, Sophon: { ...sophon, Ui: ui } };
  await atomicWriteJson(file, next);
  return readUiSettings(JSON.stringify(next));
}
