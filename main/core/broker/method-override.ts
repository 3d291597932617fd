import type { IncomingMessage } from 'node:http';

/**
 * Method override: frameworks that take the real method from a `_method` parameter
 * (Rails and Rack::MethodOverride from a form body, Symfony from the form body or the
 * query, Laravel from those and from a JSON body, Express's method-override where so
 * configured) would run a POST as the DELETE a method-restricted grant did not allow. The override headers
 * (X-HTTP-Method-Override, …) are dropped from every request (proxy-headers.ts); the
 * parameter cannot be, so under a method-restricted grant it is checked like the method.
 */
const NAME = '_method';
/** Bodies read to look for the parameter; a larger one under a method-restricted grant is refused. */
export const MAX_FORM_BODY = 1024 * 1024;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** The methods `_method` parameters in an urlencoded string ask for, upper-cased. */
export function overridesInQuery(query: string): string[] {
  if (query === '' || !/_method|%5f/i.test(query)) return [];
  const found: string[] = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const name = decoded(eq < 0 ? part : part.slice(0, eq));
    if (name.toLowerCase() === NAME) found.push(decoded(eq < 0 ? '' : part.slice(eq + 1)).trim().toUpperCase());
  }
  return found;
}

function bodyType(req: IncomingMessage): 'form' | 'multipart' | 'json' | undefined {
  const type = String(req.headers['content-type'] ?? '').toLowerCase().split(';', 1)[0]?.trim() ?? '';
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'multipart/form-data') return 'multipart';
  if (type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type)) return 'json';
  return undefined;
}

/** Whether a request's body is one a framework would read `_method` from (a form, or JSON). */
export function isFormBody(req: IncomingMessage): boolean {
  return bodyType(req) !== undefined;
}

/** The methods a body's `_method` fields ask for. */
export function overridesInForm(req: IncomingMessage, body: Buffer): string[] {
  const type = bodyType(req);
  if (type === 'json') {
    try {
      const value = JSON.parse(body.toString('utf8')) as unknown;
      const method = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[NAME] : undefined;
      return method === undefined ? [] : [String(method).trim().toUpperCase()];
    } catch {
      return [];
    }
  }
  const text = body.toString('latin1');
  if (type === 'form') return overridesInQuery(text);
  const found: string[] = [];
  // multipart: a part named _method; its value runs to the next boundary line.
  const field = /content-disposition:[^\r\n]*\bname="?_method"?[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([^\r\n]*)/gi;
  for (let m = field.exec(text); m !== null; m = field.exec(text)) found.push((m[1] ?? '').trim().toUpperCase());
  return found;
}

/** Reads a form body whole (it is small), or undefined when it is over MAX_FORM_BODY. */
export async function readFormBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
