// The key snapshot's tar as restic dump writes it (GNU and PAX long names), read back as exact bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTarFiles } from '../../src/restore/tar-files.ts';

test('files of a tar by name, as bytes, long names included; directories skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tar-'));
  const long = `${'k'.repeat(150)}-unseal-key-0`;
  const odd = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80, 0x0a]);
  writeFileSync(join(dir, 'root-token'), odd);
  writeFileSync(join(dir, long), 'v\n');
  for (const format of ['pax', 'gnu', 'ustar']) {
    const names = format === 'ustar' ? ['root-token'] : ['root-token', long];
    const tar = execFileSync('tar', ['--format', format, '-C', dir, '-cf', '-', ...names]);
    const files = readTarFiles(tar);
    assert.ok(files.get('root-token')?.equals(odd), `${format}: bytes kept`);
    if (format !== 'ustar') assert.equal(files.get(long)?.toString(), 'v\n', `${format}: long name`);
  }
  const withDir = execFileSync('tar', ['-C', dir, '-cf', '-', '.']);
  assert.ok(readTarFiles(withDir).get('./root-token')?.equals(odd));
});
