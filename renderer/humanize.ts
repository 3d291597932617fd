/**
 * The core writes its messages for the terminal too: "… — run `sophon connect reauth x`".
 * In the window the way forward is a button on the same page, so the pointer to a command
 * goes and the rest becomes a sentence.
 */
export function forWindow(message: string): string {
  let text = message.trim();
  // "… — review it with `sophon skills list` and run …": drop every clause naming a command.
  text = text
    .split(/\s+—\s+|;\s+/)
    .filter((part, i) => i === 0 || !/`[^`]*\b(sophon|claude|codex|gh)\b[^`]*`/.test(part))
    .join(' — ');
  text = text.replace(/\s*\((?:[^()]*`[^`]*`[^()]*)\)/g, '');
  text = text.replace(/`([^`]*)`/g, '$1');
  text = text.replace(/\s+/g, ' ').trim();
  if (!text) return message;
  text = text[0]!.toUpperCase() + text.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
