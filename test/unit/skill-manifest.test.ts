import { describe, it, expect } from 'vitest';
import { SkillManifest, grantExcess, grantHash, grantOf, pathAllowed } from '../../main/core/broker/skill-manifest.ts';
import { parseSkillManifest } from '../../main/core/broker/skill-registry.ts';

const manifest = (extra: Record<string, unknown>) => SkillManifest.parse({ id: 'mail', name: 'Mail', ...extra });

describe('skill manifests', () => {
  it('normalises the grant: merged refs, sorted lists, defaults for bare strings', () => {
    const grant = grantOf(
      manifest({
        credentials: ['gmail', { ref: 'github:Work', methods: ['POST', 'GET'], paths: ['/repos/me'] }, { ref: 'github:work', methods: ['GET'], paths: ['/user'] }],
        methods: ['GET'],
      }),
    );
    expect(grant).toEqual({
      credentials: [
        { ref: 'github:work', service: 'github', label: 'work', methods: ['GET', 'POST'], paths: ['/repos/me', '/user'] },
        { ref: 'gmail', service: 'gmail', methods: ['GET'], paths: ['/'] },
      ],
      tools: null,
    });
  });

  it('hashes what is granted, not how it is worded', () => {
    const a = grantOf(manifest({ credentials: ['gmail', 'github:work'] }));
    const b = grantOf(SkillManifest.parse({ id: 'mail', name: 'Renamed', description: 'new words', credentials: ['github:work', 'gmail'] }));
    expect(grantHash(a)).toBe(grantHash(b));
    expect(grantHash(a)).not.toBe(grantHash(grantOf(manifest({ credentials: ['gmail'] }))));
  });

  it('says what a changed manifest asks for beyond the approval', () => {
    const approved = grantOf(manifest({ credentials: [{ ref: 'github', methods: ['GET'], paths: ['/repos/me'] }], tools: ['read'] }));
    expect(grantExcess(approved, grantOf(manifest({ credentials: [{ ref: 'github:work', methods: ['GET'], paths: ['/repos/me/x'] }], tools: ['read'] })))).toEqual([]);
    expect(grantExcess(approved, grantOf(manifest({ credentials: [{ ref: 'github', methods: ['GET', 'DELETE'], paths: ['/repos/me'] }], tools: ['read'] })))).toEqual(['github methods DELETE']);
    expect(grantExcess(approved, grantOf(manifest({ credentials: [{ ref: 'github', methods: ['GET'], paths: ['/repos/other', '/repos/me'] }], tools: ['read'] })))).toEqual(['github paths /repos/other']);
    expect(grantExcess(approved, grantOf(manifest({ credentials: [{ ref: 'github', methods: ['GET'], paths: ['/repos/me'] }, 'gmail'], tools: ['read'] })))).toEqual(['credential gmail']);
    expect(grantExcess(approved, grantOf(manifest({ credentials: [{ ref: 'github', methods: ['GET'], paths: ['/repos/me'] }] })))).toEqual(['any tool name']);
    expect(grantExcess(approved, grantOf(manifest({ credentials: [{ ref: 'github', paths: ['/repos/me'] }], tools: ['read'] })))).toEqual(['github methods any method']);
    expect(grantExcess(approved, grantOf(manifest({ credentials: [{ ref: 'github', methods: ['GET'], paths: ['/repos/me*'] }], tools: ['read'] })))).toEqual(['github paths /repos/me*']);
  });

  it('matches path prefixes at segment boundaries unless they end in *', () => {
    expect(pathAllowed('/repos/me', '/repos/me')).toBe(true);
    expect(pathAllowed('/repos/me/x', '/repos/me')).toBe(true);
    expect(pathAllowed('/repos/meow', '/repos/me')).toBe(false);
    expect(pathAllowed('/repos/meow', '/repos/me*')).toBe(true);
    expect(pathAllowed('/repos/me', '/repos/me/')).toBe(false);
    expect(pathAllowed('/anything', '/')).toBe(true);
  });

  it('reports problems as path: issue', () => {
    const bad = parseSkillManifest({ id: 'Bad Id', name: '', credentials: ['gmail', { ref: 'x', paths: ['relative', '/a/../b'] }], extra: 1 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.message).toMatch(/id: /);
      expect(bad.message).toMatch(/name: /);
      expect(bad.message).toMatch(/credentials\.1/);
      expect(bad.message).toMatch(/Unrecognized key/);
    }
    expect(parseSkillManifest({ id: 'ok', name: 'Ok', credentials: [] }).ok).toBe(false);
    expect(parseSkillManifest({ id: 'ok', name: 'Ok', credentials: ['Not A Service'] }).ok).toBe(false);
  });
});
