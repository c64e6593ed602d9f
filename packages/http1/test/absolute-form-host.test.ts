// An absolute-form request target (`GET http://a.example/p`, what a client sends to a proxy)
// whose authority is not the Host is refused with 400 before any handler runs, and one that
// agrees with Host is served with the target's host as serverName. RFC 9112 3.2.2 would have the
// target win and Host be ignored; we refuse instead, because a front end that routes or applies
// access rules by Host and this server, answering for the target, would disagree about which
// site the request is for (docs/guides/security.md says so). curl sends both, through `-x`.
import { describe, expect, it } from 'vitest';
import type { Request } from '@http-kit/http1';
import { curl, peer, useServers } from '@http-kit/test-support';

const servers = useServers();
const hasCurl = peer('curl', 'absolute-form targets with curl') !== null;

async function recording() {
  const seen: Array<{ uri: string; serverName: string }> = [];
  const { port } = await servers.start((req: Request) => {
    seen.push({ uri: req.uri, serverName: req.serverName });
    return { status: 200, body: `for ${req.serverName}` };
  });
  return { port, seen };
}

describe.skipIf(!hasCurl)('absolute-form targets and Host, sent by curl as to a proxy', () => {
  it('a target that agrees with Host is served, for the target host', async () => {
    const { port, seen } = await recording();
    const result = await curl(['-i', '-x', `http://127.0.0.1:${port}`, 'http://a.example/p']);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 200 /);
    expect(result.stdout).toMatch(/for a\.example$/);
    expect(seen).toEqual([{ uri: '/p', serverName: 'a.example' }]);
  });

  it('a target whose authority is not the Host is 400, and no handler runs', async () => {
    const { port, seen } = await recording();
    const host = await curl(['-i', '-x', `http://127.0.0.1:${port}`, '-H', 'Host: b.example', 'http://a.example/p']);
    const port8080 = await curl(['-i', '-x', `http://127.0.0.1:${port}`, '-H', 'Host: a.example', 'http://a.example:8080/p']);
    expect(host.stdout).toMatch(/^HTTP\/1\.1 400 /);
    expect(host.stdout).toMatch(/Host "b\.example" is not the target's authority "a\.example"/);
    expect(host.stdout).toMatch(/\r\nconnection: close\r\n/i);
    expect(port8080.stdout).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen).toEqual([]);
  });
});
