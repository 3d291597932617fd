import { afterEach } from 'vitest';

/**
 * What a test starts (temp homes, terminals, servers) is registered here and disposed after
 * it, newest first, whether it passed or not.
 */
export function disposeAfterEach(): <T extends { dispose(): Promise<unknown> }>(thing: T) => T {
  const things: Array<{ dispose(): Promise<unknown> }> = [];
  afterEach(async () => {
    for (const thing of things.splice(0).reverse()) await thing.dispose();
  });
  return (thing) => {
    things.push(thing);
    return thing;
  };
}
