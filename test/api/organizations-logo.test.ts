import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { LOGO_MAX_UPLOAD_BYTES } from '../../domain/logo';
import { createMember, createOrganization, findOrganizationRow } from '../support/fixtures';
import { call } from '../support/http';
import { stack } from '../support/stack';
import { logoBytes, logoObject, organizationWhen, pngOf } from '../workflows/organization-support';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid-looking PNG header claiming 60000×60000 pixels, with 4 MB of zeros deflated to a few KB. */
function decompressionBomb(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(60_000, 0);
  header.writeUInt32BE(60_000, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(4 * 1024 * 1024), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function setup() {
  const taskQueue = `org-logo-${randomUUID()}`;
  const app = stack().createApp({ TEMPORAL_TASK_QUEUE: taskQueue });
  const organization = await createOrganization('Logo Agency');
  const orgAdmin = await createMember(organization.id, 'admin');
  const put = (body: Uint8Array, contentType = 'image/png', token = orgAdmin.token) =>
    call(app, 'PUT', `/v1/organizations/${organization.id}/logo`, {
      token,
      body: body as unknown as BodyInit,
      headers: { 'content-type': contentType },
    });
  return { taskQueue, app, organization, orgAdmin, put };
}

describe('PUT /v1/organizations/{orgId}/logo: bad input', () => {
  const cases: [string, () => Promise<Buffer> | Buffer, string, number, string][] = [
    ['an empty body', () => Buffer.alloc(0), 'image/png', 422, 'logo-empty'],
    [
      'a text file sent as image/png',
      () => Buffer.from('just some notes.txt renamed to logo.png\n'),
      'image/png',
      415,
      'logo-not-an-image',
    ],
    [
      'a PDF sent as octet-stream',
      () => Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj'),
      'application/octet-stream',
      415,
      'logo-not-an-image',
    ],
    [
      'a truncated PNG',
      async () => {
        const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff0000' } })
          .png()
          .toBuffer();
        return png.subarray(0, Math.floor(png.length * 0.6));
      },
      'image/png',
      422,
      'logo-corrupt',
    ],
    ['a decompression bomb', decompressionBomb, 'image/png', 422, 'logo-too-many-pixels'],
    [
      'an SVG declaring entities (a DTD subset)',
      () =>
        Buffer.from(
          '<?xml version="1.0"?>\n<!DOCTYPE svg [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>\n' +
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&x;</text></svg>',
        ),
      'image/svg+xml',
      422,
      'logo-svg-declarations',
    ],
  ];
  for (const [what, body, contentType, status, type] of cases) {
    it(`answers ${status} (${type}) to ${what} and stages nothing`, async () => {
      const { put, organization } = await setup();
      const started = performance.now();
      const response = await put(await body(), contentType);
      assert.equal(response.status, status);
      assert.equal(response.body.type, `https://ale.test/problems/${type}`);
      assert.match(response.headers.get('content-type') ?? '', /problem\+json/);
      if (type === 'logo-too-many-pixels') {
        // Refused from the header: inflating 3.6 gigapixels would take far longer (and far more memory).
        assert.ok(performance.now() - started < 2_000);
      }
      const unchanged = await findOrganizationRow(organization.id);
      assert.equal(unchanged.logo_key, null);
      const staged = await stack().s3.send(
        new ListObjectsV2Command({
          Bucket: stack().config.AWS_S3_BUCKET_NAME,
          Prefix: `${stack().config.AWS_S3_KEY_PREFIX}logo-uploads/${organization.id}/`,
        }),
      );
      assert.equal(staged.KeyCount ?? 0, 0);
    });
  }

  it('answers 413 to 2 MB + 1 byte, and accepts the body under the cap', async () => {
    const { put } = await setup();
    const tooLarge = await put(Buffer.alloc(LOGO_MAX_UPLOAD_BYTES + 1, 0x41));
    assert.equal(tooLarge.status, 413);
    // Exactly 2 MB of text passes the size cap and is then refused for what it is.
    const atCap = await put(Buffer.alloc(LOGO_MAX_UPLOAD_BYTES, 0x41));
    assert.equal(atCap.status, 415);
  });

  it('answers 403 to members and 404 to other organizations', async () => {
    const { put, organization } = await setup();
    const member = await createMember(organization.id, 'member');
    const outsider = await createMember((await createOrganization()).id, 'admin');
    const png = await pngOf(16, 16);
    assert.equal((await put(png, 'image/png', member.token)).status, 403);
    assert.equal((await put(png, 'image/png', outsider.token)).status, 404);
  });
});

describe('PUT /v1/organizations/{orgId}/logo: stored by the lifecycle workflow', () => {
  it('accepts a PNG declared as JPEG and stores a ≤512×512 PNG under a content-hashed, immutable key', async () => {
    const { put, organization, taskQueue } = await setup();
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(async () => {
      const response = await put(await pngOf(1200, 800), 'image/jpeg');
      assert.equal(response.status, 202);
      assert.equal(response.body.workflowId, `organization/${organization.id}`);
      const stored = await organizationWhen(organization.id, (o) => o.logo_key !== null);
      const key = stored.logo_key as string;
      const bytes = await logoBytes(key);
      assert.ok(
        key.includes(createHash('sha256').update(bytes).digest('hex')),
        'the key is the content hash',
      );
      assert.equal(stored.logo_url, `https://${stack().config.CLOUDFRONT_DISTRIBUTION_DOMAIN}/${key}`);
      const head = await logoObject(key);
      assert.equal(head?.CacheControl, 'public, max-age=31536000, immutable');
      assert.equal(head?.ContentType, 'image/png');
      const metadata = await sharp(bytes).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 512, 341]);
      assert.equal(stored.status, 'active');
    });
  });

  it('strips metadata (EXIF) from a JPEG', async () => {
    const { put, organization, taskQueue } = await setup();
    const jpeg = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#00aa00' } })
      .jpeg()
      .withExif({ IFD0: { Copyright: 'secret-camera-owner', Artist: 'someone' } })
      .toBuffer();
    assert.ok((await sharp(jpeg).metadata()).exif, 'the upload carries EXIF');
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(async () => {
      assert.equal((await put(jpeg, 'image/jpeg')).status, 202);
      const stored = await organizationWhen(organization.id, (o) => o.logo_key !== null);
      const bytes = await logoBytes(stored.logo_key as string);
      const metadata = await sharp(bytes).metadata();
      assert.equal(metadata.exif, undefined);
      assert.equal(metadata.icc, undefined);
      assert.equal(bytes.includes(Buffer.from('secret-camera-owner')), false);
    });
  });

  it('rasterizes an SVG with <script> and never stores SVG', async () => {
    const { put, organization, taskQueue } = await setup();
    const svg = Buffer.from(
      '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="600" height="300">' +
        '<script>alert(document.cookie)</script><rect width="600" height="300" fill="#123456"/></svg>',
    );
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(async () => {
      assert.equal((await put(svg, 'image/svg+xml')).status, 202);
      const stored = await organizationWhen(organization.id, (o) => o.logo_key !== null);
      assert.match(stored.logo_key as string, /\.png$/);
      const bytes = await logoBytes(stored.logo_key as string);
      assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
      assert.equal(bytes.includes(Buffer.from('<script')), false);
      const metadata = await sharp(bytes).metadata();
      assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', 512, 256]);
      assert.equal((await logoObject(stored.logo_key as string))?.ContentType, 'image/png');
    });
  });

  it('replacing the logo deletes the previous object once the new one is current; DELETE removes the last one', async () => {
    const { put, app, organization, orgAdmin, taskQueue } = await setup();
    const worker = await stack().createWorker(taskQueue);
    await worker.runUntil(async () => {
      assert.equal((await put(await pngOf(40, 40, '#ff0000'))).status, 202);
      const first = await organizationWhen(organization.id, (o) => o.logo_key !== null);
      assert.equal((await put(await pngOf(40, 40, '#0000ff'))).status, 202);
      const second = await organizationWhen(
        organization.id,
        (o) => o.logo_key !== null && o.logo_key !== first.logo_key,
      );
      assert.ok(await logoObject(second.logo_key as string));
      await until(async () => (await logoObject(first.logo_key as string)) === null);
      const removed = await call(app, 'DELETE', `/v1/organizations/${organization.id}/logo`, {
        token: orgAdmin.token,
      });
      assert.equal(removed.status, 202);
      const cleared = await organizationWhen(organization.id, (o) => o.logo_key === null);
      assert.equal(cleared.logo_url, null);
      await until(async () => (await logoObject(second.logo_key as string)) === null);
    });
  });
});

async function until(probe: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
