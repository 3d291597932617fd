// Checks the add form runs before sending anything; the core checks again (it is the authority).

export function labelProblem(label: string, taken: readonly string[]): string | undefined {
  if (label === '') return undefined;
  if (label.length > 64) return 'Use at most 64 characters.';
  if (label.trim() !== label) return 'Remove the spaces at the start or end.';
  if (label.includes(':')) return 'A label cannot contain a colon.';
  for (const ch of label) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return 'A label cannot contain control characters.';
  }
  if (taken.some((t) => t.toLowerCase() === label.toLowerCase())) return `This service already has a connection labelled "${label}" — choose another label.`;
  return undefined;
}

/** A label is needed when the service already has a connection (the first one is "default"). */
export function labelRequired(label: string, taken: readonly string[]): string | undefined {
  return label === '' && taken.length > 0 ? 'This service already has a connection: give this one a label (e.g. work, personal).' : undefined;
}

export function secretProblem(value: string, what: string): string | undefined {
  const trimmed = value.replace(/\r?\n$/, '');
  if (trimmed === '') return `Paste the ${what}.`;
  if (trimmed.length > 8192) return `The ${what} is too long.`;
  if (/\s/.test(trimmed)) return `The ${what} contains spaces or line breaks — paste exactly one value.`;
  return undefined;
}

/** A format hint (not an error): the core stores it anyway and says so. */
export function patternWarning(value: string, pattern: string | undefined, what: string): string | undefined {
  if (!pattern || value === '') return undefined;
  try {
    return new RegExp(pattern).test(value) ? undefined : `This does not look like ${/^[aeiou]/i.test(what) ? 'an' : 'a'} ${what} for this service (expected /${pattern}/). Check it, or add it anyway.`;
  } catch {
    return undefined;
  }
}

export function paramProblem(value: string, label: string, pattern: string | undefined, example: string | undefined): string | undefined {
  if (value === '') return `Enter ${label}${example ? ` (e.g. ${example})` : ''}.`;
  if (value.length > 256) return `${label} is too long.`;
  if (pattern) {
    try {
      if (!new RegExp(pattern).test(value)) return `${label} is not valid${example ? ` — e.g. ${example}` : ''}.`;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
