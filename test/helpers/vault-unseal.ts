// Unseals an emulated Vault node with the given keys, as the KubeVault unsealer would; true if unsealed.
import { Agent, request } from 'undici';

export async function unseal(url: string, caPem: string, keys: string[]): Promise<boolean> {
  const agent = new Agent({ connect: { ca: caPem } });
  let sealed = true;
  for (const key of keys) {
    const r = await request(`${url}/v1/sys/unseal`, {
      dispatcher: agent,
      method: 'PUT',
      body: JSON.stringify({ key }),
    });
    const body = (await r.body.json()) as { sealed?: boolean };
    sealed = body.sealed !== false;
    if (!sealed) break;
  }
  await agent.close();
  return !sealed;
}
