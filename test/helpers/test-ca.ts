import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  readonly caFile: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1/localhost (and `extraIps`), made with the openssl CLI. */
export async function makeTestCa(dir: string, name = 'Sophon Test CA', extraIps: readonly string[] = []): Promise<TestCa> {
  const p = (f: string) => join(dir, f);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
  const sans = ['IP:127.0.0.1', 'DNS:localhost', ...extraIps.map((ip) => `IP:${ip}`)].join(',');
  await writeFile(p('server.ext'), `subjectAltName=${sans}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  await run('openssl', ['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.pem'), '-days', '2', '-extfile', p('server.ext')]);
  return { caFile: p('ca.pem'), ca: await readFile(p('ca.pem'), 'utf8'), cert: await readFile(p('server.pem'), 'utf8'), key: await readFile(p('server.key'), 'utf8') };
}
