// The AWS emulator checked against AWS's own SigV4 test vector and, through the real SDK clients,
// against the KMS and SSM behaviours the awsKmsSsm store relies on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetParameterCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { AwsFault } from './fault.ts';
import { startAwsEmulator, type AwsEmulator } from './server.ts';
import { verifySigV4 } from './sigv4.ts';

// "get-vanilla" from the AWS Signature Version 4 test suite.
const VANILLA = {
  method: 'GET',
  url: '/',
  headers: {
    host: 'example.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  body: Buffer.alloc(0),
};
const VANILLA_SECRETS = new Map([['AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY']]);
const VANILLA_NOW = Date.UTC(2015, 7, 30, 12, 36, 0);
const SCOPE = { region: 'us-east-1', service: 'service' };

interface RawAnswer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

// One unsigned or hand-made request, answered or failed.
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/`, { method: 'POST', headers });
    req.on('response', (r) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const faultType = (type: string) => (e: unknown) => e instanceof AwsFault && e.type === type;
const sdkError = (name: string) => (e: unknown) => e instanceof Error && e.name === name;

test('SigV4: the AWS test-suite signature verifies; any change to the request does not', () => {
  assert.equal(verifySigV4(VANILLA, VANILLA_SECRETS, SCOPE, VANILLA_NOW), 'AKIDEXAMPLE');
  const wrongSecret = new Map([['AKIDEXAMPLE', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ']]);
  assert.throws(
    () => verifySigV4(VANILLA, wrongSecret, SCOPE, VANILLA_NOW),
    faultType('InvalidSignatureException'),
  );
  const tamperedBody = { ...VANILLA, body: Buffer.from('x') };
  assert.throws(
    () => verifySigV4(tamperedBody, VANILLA_SECRETS, SCOPE, VANILLA_NOW),
    faultType('InvalidSignatureException'),
  );
  const otherHost = { ...VANILLA, headers: { ...VANILLA.headers, host: 'evil.example.com' } };
  assert.throws(
    () => verifySigV4(otherHost, VANILLA_SECRETS, SCOPE, VANILLA_NOW),
    faultType('InvalidSignatureException'),
  );
  assert.throws(
    () => verifySigV4(VANILLA, new Map(), SCOPE, VANILLA_NOW),
    faultType('UnrecognizedClientException'),
  );
  assert.throws(
    () => verifySigV4(VANILLA, VANILLA_SECRETS, { ...SCOPE, service: 'kms' }, VANILLA_NOW),
    faultType('InvalidSignatureException'),
  );
  assert.throws(
    () => verifySigV4(VANILLA, VANILLA_SECRETS, SCOPE, VANILLA_NOW + 16 * 60 * 1000),
    faultType('InvalidSignatureException'),
  );
  const unsigned = { ...VANILLA, headers: { host: VANILLA.headers.host } };
  assert.throws(
    () => verifySigV4(unsigned, VANILLA_SECRETS, SCOPE, VANILLA_NOW),
    faultType('MissingAuthenticationTokenException'),
  );
});

describe('AWS emulator through the SDK', () => {
  let em: AwsEmulator;
  let kms: KMSClient;
  let ssm: SSMClient;
  let keyId: string;
  const clientConfig = (secret: string) => ({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAEMULATOR0000TEST', secretAccessKey: secret },
    maxAttempts: 1,
  });
  before(async () => {
    em = await startAwsEmulator();
    em.addAccessKey('AKIAEMULATOR0000TEST', 'emulator-secret-key');
    keyId = em.kms.createKey('alias/test');
    kms = new KMSClient({ ...clientConfig('emulator-secret-key'), endpoint: em.url });
    ssm = new SSMClient({ ...clientConfig('emulator-secret-key'), endpoint: em.url });
  });
  after(async () => {
    kms.destroy();
    ssm.destroy();
    await em.close();
  });

  test('errors are JSON 1.1: __type body, x-amzn-ErrorType header, application/x-amz-json-1.1', async () => {
    const res = await rawPost(
      em.url,
      { 'X-Amz-Target': 'TrentService.Encrypt', 'Content-Type': 'application/x-amz-json-1.1' },
      '{}',
    );
    assert.equal(res.status, 400);
    assert.equal(res.headers['content-type'], 'application/x-amz-json-1.1');
    assert.equal(res.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
    assert.deepEqual(JSON.parse(res.body), {
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });

  test('KMS: encryption context and key are bound to the blob', async () => {
    const ctx = { Tool: 'vault-unsealer' };
    const enc = await kms.send(
      new EncryptCommand({ KeyId: 'alias/test', Plaintext: Buffer.from('pt'), EncryptionContext: ctx }),
    );
    assert.equal(enc.KeyId, em.kms.keyArn(keyId));
    const blob = enc.CiphertextBlob!;
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: ctx }));
    assert.equal(Buffer.from(dec.Plaintext!).toString(), 'pt');
    await assert.rejects(
      kms.send(new DecryptCommand({ CiphertextBlob: blob })),
      sdkError('InvalidCiphertextException'),
    );
    await assert.rejects(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { Tool: 'other' } })),
      sdkError('InvalidCiphertextException'),
    );
    const other = em.kms.createKey();
    await assert.rejects(
      kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: ctx, KeyId: other })),
      sdkError('IncorrectKeyException'),
    );
    await assert.rejects(
      kms.send(new EncryptCommand({ KeyId: 'alias/nope', Plaintext: Buffer.from('pt') })),
      sdkError('NotFoundException'),
    );
    await assert.rejects(
      kms.send(new EncryptCommand({ KeyId: undefined, Plaintext: Buffer.from('pt') })),
      sdkError('ValidationException'),
    );
  });

  test('SSM: versions, Overwrite, InvalidParameters and ParameterNotFound', async () => {
    const writes = em.writes();
    const put = await ssm.send(new PutParameterCommand({ Name: '/a/b', Value: 'v1', Type: 'String' }));
    assert.equal(put.Version, 1);
    await assert.rejects(
      ssm.send(new PutParameterCommand({ Name: '/a/b', Value: 'v2', Type: 'String' })),
      sdkError('ParameterAlreadyExists'),
    );
    const again = await ssm.send(
      new PutParameterCommand({ Name: '/a/b', Value: 'v2', Type: 'String', Overwrite: true }),
    );
    assert.equal(again.Version, 2);
    assert.equal(em.writes(), writes + 3);
    const got = await ssm.send(
      new GetParametersCommand({ Names: ['/a/b', '/a/missing'], WithDecryption: false }),
    );
    assert.equal(got.Parameters?.length, 1);
    assert.deepEqual(
      {
        Name: got.Parameters?.[0]?.Name,
        Type: got.Parameters?.[0]?.Type,
        Value: got.Parameters?.[0]?.Value,
        Version: got.Parameters?.[0]?.Version,
      },
      { Name: '/a/b', Type: 'String', Value: 'v2', Version: 2 },
    );
    assert.ok(got.Parameters?.[0]?.LastModifiedDate instanceof Date);
    assert.deepEqual(got.InvalidParameters, ['/a/missing']);
    await assert.rejects(
      ssm.send(new GetParameterCommand({ Name: '/a/missing' })),
      sdkError('ParameterNotFound'),
    );
    await assert.rejects(
      ssm.send(new PutParameterCommand({ Name: 'a/b', Value: 'v', Type: 'String' })),
      sdkError('ValidationException'),
    );
    await assert.rejects(
      ssm.send(new GetParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/n${i}`) })),
      sdkError('ValidationException'),
    );
  });

  test('a wrong secret is InvalidSignatureException; nothing is written', async () => {
    const bad = new SSMClient({ ...clientConfig('not-the-secret'), endpoint: em.url });
    try {
      const writes = em.writes();
      await assert.rejects(
        bad.send(new PutParameterCommand({ Name: '/x', Value: 'v', Type: 'String' })),
        sdkError('InvalidSignatureException'),
      );
      assert.equal(em.writes(), writes);
      assert.equal(em.ssm.get('/x'), undefined);
    } finally {
      bad.destroy();
    }
  });
});

describe('AWS emulator: protocol checks, DryRun and faults', () => {
  let em: AwsEmulator;
  let kms: KMSClient;
  let ssm: SSMClient;
  const config = {
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAEMULATOR0000TEST', secretAccessKey: 'emulator-secret-key' },
    maxAttempts: 1,
  };
  before(async () => {
    em = await startAwsEmulator();
    em.addAccessKey('AKIAEMULATOR0000TEST', 'emulator-secret-key');
    em.kms.createKey('alias/test');
    kms = new KMSClient({ ...config, endpoint: em.url });
    ssm = new SSMClient({ ...config, endpoint: em.url });
  });
  after(async () => {
    kms.destroy();
    ssm.destroy();
    await em.close();
  });

  test('a Content-Type other than application/x-amz-json-1.1 is refused as AWS does: 404 <UnknownOperationException/>', async () => {
    for (const contentType of ['application/json', 'text/plain', 'application/x-amz-json-1.0', undefined]) {
      const res = await rawPost(
        em.url,
        {
          'X-Amz-Target': 'TrentService.Encrypt',
          ...(contentType === undefined ? {} : { 'Content-Type': contentType }),
        },
        '{"KeyId":"alias/test","Plaintext":"cHQ="}',
      );
      assert.equal(res.status, 404, String(contentType));
      assert.equal(res.body, '<UnknownOperationException/>\n');
      assert.equal(res.headers['content-type'], undefined, 'no Content-Type, as AWS answers it');
      assert.equal(res.headers['content-length'], '29');
      assert.equal(typeof res.headers['x-amzn-requestid'], 'string');
      assert.equal(em.requests().at(-1)?.errorType, 'UnknownOperationException');
    }
    // Parameters after the media type are fine.
    const ok = await rawPost(
      em.url,
      { 'X-Amz-Target': 'TrentService.Encrypt', 'Content-Type': 'application/x-amz-json-1.1; charset=utf-8' },
      '{}',
    );
    assert.equal(ok.status, 400);
    assert.equal(JSON.parse(ok.body).__type, 'MissingAuthenticationTokenException');
  });

  test('KMS Encrypt with DryRun: 412 DryRunOperationException once validation and IAM pass; nothing else', async () => {
    const dry = {
      KeyId: 'alias/test',
      Plaintext: Buffer.from('pt'),
      EncryptionContext: { Tool: 'x' },
      DryRun: true,
    };
    const err = await kms.send(new EncryptCommand(dry)).then(
      () => assert.fail('a dry run never succeeds'),
      (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
    );
    assert.equal(err.name, 'DryRunOperationException');
    assert.equal(err.message, 'The request would have succeeded, but the DryRun option is set.');
    assert.equal(err.$metadata?.httpStatusCode, 412);
    await assert.rejects(
      kms.send(new EncryptCommand({ ...dry, KeyId: 'alias/nope' })),
      sdkError('NotFoundException'),
    );
    await assert.rejects(
      kms.send(new EncryptCommand({ ...dry, Plaintext: new Uint8Array(0) })),
      sdkError('ValidationException'),
    );
    em.faults.refuseWrites = true;
    try {
      await assert.rejects(kms.send(new EncryptCommand(dry)), sdkError('AccessDeniedException'));
    } finally {
      em.faults.refuseWrites = false;
    }
  });

  test('faults.refuseWrites: Encrypt and PutParameter are AccessDeniedException, reads still work', async () => {
    const put = new PutParameterCommand({ Name: '/rw/x', Value: 'v1', Type: 'String' });
    await ssm.send(put);
    const blob = (await kms.send(new EncryptCommand({ KeyId: 'alias/test', Plaintext: Buffer.from('pt') })))
      .CiphertextBlob!;
    em.faults.refuseWrites = true;
    try {
      await assert.rejects(
        ssm.send(new PutParameterCommand({ Name: '/rw/x', Value: 'v2', Type: 'String', Overwrite: true })),
        (e: unknown) =>
          e instanceof Error && e.name === 'AccessDeniedException' && /ssm:PutParameter/.test(e.message),
      );
      await assert.rejects(
        kms.send(new EncryptCommand({ KeyId: 'alias/test', Plaintext: Buffer.from('pt') })),
        sdkError('AccessDeniedException'),
      );
      assert.equal((await ssm.send(new GetParameterCommand({ Name: '/rw/x' }))).Parameter?.Value, 'v1');
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
      assert.equal(Buffer.from(dec.Plaintext!).toString(), 'pt');
    } finally {
      em.faults.refuseWrites = false;
    }
  });

  test('SSM names: reserved aws/ssm prefixes, empty sub-paths and the ARN-inclusive length are ValidationException', async () => {
    for (const Name of ['awsx', '/ssm/x', 'SSMx', '/a//b', `/${'x'.repeat(967)}`]) {
      await assert.rejects(
        ssm.send(new PutParameterCommand({ Name, Value: 'v', Type: 'String' })),
        sdkError('ValidationException'),
        Name.slice(0, 20),
      );
    }
    await ssm.send(new PutParameterCommand({ Name: `/${'x'.repeat(966)}`, Value: 'v', Type: 'String' }));
  });

  test('faults.hang: requests are accepted and never answered; close() still ends at once', async () => {
    const hung = await startAwsEmulator();
    hung.faults.hang = true;
    const pending = rawPost(
      hung.url,
      { 'X-Amz-Target': 'TrentService.Encrypt', 'Content-Type': 'application/x-amz-json-1.1' },
      '{}',
    ).then(
      () => 'answered',
      () => 'connection closed',
    );
    const early = await Promise.race([pending, new Promise((r) => setTimeout(() => r('no answer'), 300))]);
    assert.equal(early, 'no answer');
    assert.equal(hung.requests().length, 1, 'the request was received');
    const started = Date.now();
    await hung.close();
    assert.ok(Date.now() - started < 500, `close took ${Date.now() - started} ms`);
    assert.equal(await pending, 'connection closed');
  });
});
