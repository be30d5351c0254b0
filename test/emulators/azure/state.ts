// In-memory state of the Azure emulator: the Entra ID tenant with its app registrations, the access tokens
// it issued, and the Key Vault's secrets with every version kept (as Key Vault does).
import { randomBytes } from 'node:crypto';

export interface AppRegistration {
  clientSecret: string;
  // Key Vault secret permissions granted to the app; a missing one answers 403 Forbidden.
  permissions: ReadonlySet<'get' | 'set'>;
}

export interface IssuedToken {
  clientId: string;
  tenantId: string;
  // Audience: the scope without its `/.default` suffix, e.g. https://vault.azure.net.
  audience: string;
}

export interface SecretVersion {
  version: string;
  value: string;
  contentType: string | undefined;
  created: number;
  updated: number;
}

export interface RequestRecord {
  method: string;
  path: string;
}

// Switches a test flips at any time.
export interface AzureFaults {
  // Every request (Entra ID and Key Vault) is accepted and never answered; close() still ends it at once.
  hang: boolean;
  // Every app lacks the secrets `set` permission: PUT answers 403 Forbidden, GET still works.
  refuseWrites: boolean;
}

export class AzureState {
  readonly tenantId: string;
  readonly apps = new Map<string, AppRegistration>();
  readonly tokens = new Map<string, IssuedToken>();
  // Secret name → versions, oldest first. Key Vault names are case-insensitive; keys are lower-cased.
  readonly secrets = new Map<string, { name: string; versions: SecretVersion[] }>();
  readonly requests: RequestRecord[] = [];
  readonly faults: AzureFaults = { hang: false, refuseWrites: false };
  writes = 0;
  tokenRequests = 0;

  constructor(tenantId: string) {
    this.tenantId = tenantId;
  }

  issueToken(token: IssuedToken): string {
    const value = randomBytes(24).toString('base64url');
    this.tokens.set(value, token);
    return value;
  }

  latest(name: string): SecretVersion | undefined {
    return this.secrets.get(name.toLowerCase())?.versions.at(-1);
  }

  version(name: string, version: string): SecretVersion | undefined {
    return this.secrets.get(name.toLowerCase())?.versions.find((v) => v.version === version);
  }

  // Adds a new version (a set never overwrites one) and returns it.
  put(name: string, value: string, contentType: string | undefined): SecretVersion {
    const now = Math.floor(Date.now() / 1000);
    const entry = this.secrets.get(name.toLowerCase()) ?? { name, versions: [] };
    const v = { version: randomBytes(16).toString('hex'), value, contentType, created: now, updated: now };
    entry.versions.push(v);
    this.secrets.set(name.toLowerCase(), entry);
    return v;
  }

  names(): string[] {
    return [...this.secrets.values()].map((e) => e.name).sort();
  }
}
