// Shamir secret sharing over GF(2^8) like Vault's shamir package: each share is the y-bytes followed by one
// x-coordinate byte, so unseal keys are real shares of the seal key and any `threshold` of them recombine it.
import { randomBytes } from 'node:crypto';

function mul(a: number, b: number): number {
  let r = 0;
  let x = a;
  let y = b;
  while (y > 0) {
    if (y & 1) r ^= x;
    x = x & 0x80 ? ((x << 1) ^ 0x11b) & 0xff : x << 1;
    y >>= 1;
  }
  return r;
}

function inv(a: number): number {
  let r = 1;
  for (let i = 0; i < 254; i++) r = mul(r, a);
  return r;
}

// Splits `secret` into `parts` shares, any `threshold` of which reconstruct it.
export function splitSecret(secret: Buffer, parts: number, threshold: number): Buffer[] {
  if (parts < threshold || threshold < 1 || parts > 255) throw new Error('invalid shamir parameters');
  const xs: number[] = [];
  while (xs.length < parts) {
    const x = randomBytes(1)[0] ?? 0;
    if (x !== 0 && !xs.includes(x)) xs.push(x);
  }
  const shares = xs.map((x) => {
    const s = Buffer.alloc(secret.length + 1);
    s[secret.length] = x;
    return s;
  });
  for (let i = 0; i < secret.length; i++) {
    const coeffs = [secret[i] ?? 0, ...randomBytes(threshold - 1)];
    shares.forEach((s, j) => {
      const x = xs[j] ?? 1;
      let y = 0;
      for (let k = coeffs.length - 1; k >= 0; k--) y = mul(y, x) ^ (coeffs[k] ?? 0);
      s[i] = y;
    });
  }
  return shares;
}

// Lagrange interpolation at x = 0 over the given shares.
export function combineShares(shares: Buffer[]): Buffer {
  const first = shares[0];
  if (first === undefined || first.length < 2)
    throw new Error('less than two parts cannot be used to reconstruct the secret');
  const len = first.length - 1;
  const xs = shares.map((s) => s[len] ?? 0);
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i++) {
    let acc = 0;
    shares.forEach((s, j) => {
      let basis = 1;
      xs.forEach((xm, m) => {
        if (m !== j) basis = mul(basis, mul(xm, inv(xm ^ (xs[j] ?? 0))));
      });
      acc ^= mul(s[i] ?? 0, basis);
    });
    out[i] = acc;
  }
  return out;
}
