// The shape every cloud key-store emulator exposes to the end-to-end tests, so one test body runs
// against each unsealer mode.

// Faults every cloud emulator offers, switched on and off by assignment.
export interface CloudFaults {
  // Every request is accepted and never answered (close() still ends it at once).
  hang: boolean;
  // Writes (and KMS encrypts) are refused as permission denied while reads keep working.
  refuseWrites: boolean;
}

export interface CloudKeyFixture {
  // The AppBinding `parameters.unsealer.mode` object, e.g. { awsKmsSsm: { kmsKeyID, region, ... } }.
  mode: Record<string, unknown>;
  // Data of the credential secret the mode's credentialSecretRef names (string values).
  credentialSecretData: Record<string, string>;
  // The same secret with a credential the emulator rejects.
  wrongCredentialSecretData: Record<string, string>;
  // Environment for the CLI child process: endpoint overrides, CA trust (NODE_EXTRA_CA_CERTS), etc.
  env: Record<string, string>;
  // Independent encoder/decoder of the documented layout (not our src/keys code).
  seed(name: string, plaintext: Buffer): Promise<void>;
  read(name: string): Promise<Buffer | undefined>;
  // Names of every stored object/parameter/secret, and the count of write calls the emulator served.
  names(): string[];
  writes(): number;
  faults: CloudFaults;
  // Credential values that must never appear in logs, argv or output.json.
  secretValues(): string[];
  close(): Promise<void>;
}
