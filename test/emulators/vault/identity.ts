// Cluster identity kept in storage entries, so a snapshot carries it: seal config (core/emu-seal), cluster
// info, the opaque keyring, and token entries (sys/token/id/<sha256>). Unseal keys are Shamir shares.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sealKeyId } from './seal.ts';
import { splitSecret } from './shamir.ts';

export const SEAL_CONFIG_KEY = 'core/emu-seal';
export const CLUSTER_INFO_KEY = 'core/cluster/local/info';
export const MOUNTS_KEY = 'core/mounts';
export const KEYRING_KEY = 'core/keyring';
export const TOKEN_PREFIX = 'sys/token/id/';

export interface SealConfig {
  type: 'shamir';
  seal_key_id: string;
  key_hashes: string[];
  secret_shares: number;
  secret_threshold: number;
}

export interface TokenEntry {
  id: string;
  accessor: string;
  policies: string[];
  acl: Record<string, string[]> | null; // null = root
  display_name: string;
  path: string;
  creation_time: number;
  ttl: number;
}

// The operator's memory of unseal keys per seal key id (a restored snapshot only holds their hashes).
const custody = new Map<string, string[]>();

// Unseal keys (hex) of a seal key id, when any cluster in this process was initialised with it.
export function recallUnsealKeys(id: string): string[] {
  return [...(custody.get(id) ?? [])];
}

// Hex SHA-256 of an unseal key share, as stored in core/emu-seal.
export function keyHash(share: Buffer): string {
  return createHash('sha256').update(share).digest('hex');
}

// Storage key of a token entry (Vault stores tokens under a salted hash of their ID).
export function tokenStorageKey(token: string): string {
  return TOKEN_PREFIX + createHash('sha256').update(token).digest('hex');
}

function base62(n: number): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(n)].map((b) => abc[b % 62]).join('');
}

// A fresh service token: "hvs." for Vault, "s." for OpenBao.
export function newToken(distribution: 'vault' | 'openbao'): string {
  return `${distribution === 'vault' ? 'hvs.' : 's.'}${base62(24)}`;
}

// Token entry JSON for storage.
export function tokenEntry(id: string, acl: Record<string, string[]> | null, policies: string[]): TokenEntry {
  return {
    id,
    accessor: base62(24),
    policies,
    acl,
    display_name: acl === null ? 'root' : 'token',
    path: acl === null ? 'auth/token/root' : 'auth/token/create',
    creation_time: Math.floor(Date.now() / 1000),
    ttl: acl === null ? 0 : 2764800,
  };
}

export interface NewIdentity {
  entries: Map<string, Buffer>;
  sealKey: Buffer;
  unsealKeys: string[];
  rootToken: string;
}

// `vault operator init`: seal key, its Shamir shares, keyring, cluster info, root token.
export function createIdentity(
  shares: number,
  threshold: number,
  distribution: 'vault' | 'openbao',
): NewIdentity {
  const sealKey = randomBytes(32);
  const keyShares = splitSecret(sealKey, shares, threshold);
  const unsealKeys = keyShares.map((s) => s.toString('hex'));
  const config: SealConfig = {
    type: 'shamir',
    seal_key_id: sealKeyId(sealKey),
    key_hashes: keyShares.map(keyHash),
    secret_shares: shares,
    secret_threshold: threshold,
  };
  custody.set(config.seal_key_id, unsealKeys);
  const rootToken = newToken(distribution);
  const clusterId = randomUUID();
  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), 'utf8');
  const entries = new Map<string, Buffer>([
    [SEAL_CONFIG_KEY, json(config)],
    [KEYRING_KEY, randomBytes(64)],
    [CLUSTER_INFO_KEY, json({ name: `vault-cluster-${clusterId.slice(0, 8)}`, id: clusterId })],
    [MOUNTS_KEY, json({ logical_uuid: randomUUID() })],
    [tokenStorageKey(rootToken), json(tokenEntry(rootToken, null, ['root']))],
  ]);
  return { entries, sealKey, unsealKeys, rootToken };
}
