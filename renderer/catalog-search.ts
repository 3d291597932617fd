import type { ServiceSummary } from '../main/api/contract.ts';
import { CATEGORY_TEXT } from './format.ts';

/**
 * Ranks the catalog for what a person typed. Tiers, best first: the name starts with it or a
 * search word is exactly it; a word of the name or a search word starts with it; the name or a
 * search word contains it; the summary or category does; the technical description does.
 * Within a tier the catalog's order of prominence decides ("claude" → the Claude subscription,
 * then the API; "mail" → Gmail, Outlook, then a mail server). Several words must each match.
 */
export function searchCatalog(catalog: readonly ServiceSummary[], query: string): ServiceSummary[] {
  const q = normalise(query);
  if (!q) return [...catalog].sort(byProminence);
  const terms = q.split(' ').filter(Boolean);
  const scored: Array<{ service: ServiceSummary; tier: number }> = [];
  for (const service of catalog) {
    const whole = tierOf(service, q);
    const perTerm = terms.length > 1 ? terms.map((t) => tierOf(service, t)) : [];
    const termsTier = perTerm.length && perTerm.every((t) => t < NONE) ? 1 + Math.max(...perTerm) : NONE;
    const tier = Math.min(whole, termsTier);
    if (tier < NONE) scored.push({ service, tier });
  }
  return scored.sort((a, b) => a.tier - b.tier || byProminence(a.service, b.service)).map((s) => s.service);
}

const NONE = 99;

function tierOf(service: ServiceSummary, q: string): number {
  const name = normalise(service.name);
  const keywords = service.keywords.map(normalise);
  if (name.startsWith(q) || keywords.includes(q) || service.id === q) return 0;
  const words = [...name.split(' '), ...keywords.flatMap((k) => k.split(' '))];
  if (words.some((w) => w.startsWith(q)) || keywords.some((k) => k.startsWith(q))) return 1;
  if (name.includes(q) || service.id.includes(q) || keywords.some((k) => k.includes(q))) return 2;
  const category = normalise(CATEGORY_TEXT[service.category] ?? service.category);
  if (normalise(service.summary ?? '').includes(q) || category.includes(q) || service.category.includes(q)) return 3;
  if (normalise(service.description ?? '').includes(q)) return 4;
  return NONE;
}

function byProminence(a: ServiceSummary, b: ServiceSummary): number {
  return a.rank - b.rank || a.name.localeCompare(b.name);
}

function normalise(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
