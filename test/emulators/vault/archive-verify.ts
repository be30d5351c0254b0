// The integrity checks Vault runs after reading the archive: sealed sums first (non-force only), then plain
// SHA256SUMS (raft-snapshot archive.go read(); handler mapping in vault/logical_system_raft.go).
import type { ArchiveContents } from './archive-members.ts';
import { openSealedSums } from './seal.ts';
import { verifySums } from './sums.ts';

// Message fragment the restore handler turns into the 400 "different set of unseal keys" answer.
export const SEALED_OPEN_FAILURE = 'failed to open the sealed hashes';

function integrity(text: Buffer, hashes: Record<string, string>): void {
  try {
    verifySums(text, hashes);
  } catch (err) {
    throw new Error(
      `failed to read snapshot file: failed checking integrity of snapshot: ${(err as Error).message}`,
    );
  }
}

// Throws Vault's wording; pass `sealKey` for a non-force restore, undefined for snapshot-force / inspection.
export function verifyArchive(c: ArchiveContents, sealKey: Buffer | undefined): void {
  if (sealKey !== undefined) {
    let opened: Buffer;
    try {
      opened = openSealedSums(sealKey, c.sealed ?? Buffer.alloc(0));
    } catch (err) {
      throw new Error(`failed to read snapshot file: ${SEALED_OPEN_FAILURE}: ${(err as Error).message}`);
    }
    integrity(opened, c.hashes);
  }
  integrity(c.sums, c.hashes);
}
