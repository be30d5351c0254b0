// Case B's first half, as the Go addon does it: download the whole snapshot to a file, then back it up.
// Usage: node download.ts <snapshot url> <ca file> <out file>; the token comes in $VAULT_TOKEN.
import { createWriteStream, readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';

const [url = '', caFile = '', out = ''] = process.argv.slice(2);
const agent = new Agent({ connect: { ca: readFileSync(caFile, 'utf8') } });
const res = await request(url, {
  dispatcher: agent,
  headers: { 'x-vault-token': process.env['VAULT_TOKEN'] ?? '' },
});
if (res.statusCode !== 200) throw new Error(`download answered ${res.statusCode}`);
await pipeline(res.body, createWriteStream(out));
await agent.close();
