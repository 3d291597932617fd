import { memo } from 'react';
import { BRAND_ICONS } from '../logos/brand-icons.ts';

/**
 * A service's mark on a rounded tile: its Simple Icons brand mark when the catalog names one
 * that is bundled, else a monogram (custom connectors, and brands Simple Icons no longer
 * carries). Decorative: the service's name is always written beside it.
 */
export const ServiceLogo = memo(function ServiceLogo({ icon, name, size = 32 }: { readonly icon: string | undefined; readonly name: string; readonly size?: number }) {
  const brand = icon ? BRAND_ICONS[icon] : undefined;
  const style = { width: size, height: size };
  if (brand) {
    return (
      <span className={`logo logo-brand${isInk(brand.hex) ? ' logo-ink' : ''}`} style={{ ...style, ['--brand' as string]: `#${brand.hex}` }} data-logo={icon} aria-hidden="true">
        <svg viewBox="0 0 24 24" width={size * 0.6} height={size * 0.6} focusable="false">
          <path d={brand.path} fill="currentColor" />
        </svg>
      </span>
    );
  }
  return (
    <span className={`logo logo-monogram tint-${tint(name)}`} style={{ ...style, fontSize: size * 0.42 }} data-logo="monogram" aria-hidden="true">
      {monogram(name)}
    </span>
  );
});

/** "Outlook Mail" → "OM", "Twilio" → "Tw", "microsoft-graph" → "MG". */
export function monogram(name: string): string {
  const words = name.replace(/\(.*?\)/g, ' ').split(/[\s\-_.]+/).filter((w) => /[\p{L}\p{N}]/u.test(w));
  const first = [...(words[0] ?? '?')];
  if (words.length === 1) return `${(first[0] ?? '?').toUpperCase()}${(first[1] ?? '').toLowerCase()}`;
  return `${(first[0] ?? '?').toUpperCase()}${([...(words[1] ?? '')][0] ?? '').toUpperCase()}`;
}

/** A near-black mark (GitHub, Notion): drawn in the text colour on a dark theme, or it would vanish. */
function isInk(hex: string): boolean {
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.16;
}

/** One of six soft tints, the same for a name every time. */
function tint(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h % 6;
}
