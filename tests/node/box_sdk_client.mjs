// Box's official Node SDK (box-typescript-sdk-gen, pinned in tests/node/package.json) through
// the All-in-One WP Migration Box extension's calls, against the fake Box that
// tests/with_servers/test_sdk_node.py starts on 127.0.0.1 over HTTPS (its test CA comes in
// through NODE_EXTRA_CA_CERTS). Every base URL the SDK knows is pointed at the fake; the SDK
// makes no other network call (no telemetry: its only I/O is node-fetch to these URLs), and
// the test clears the proxy variables its proxy-agent would read.
//
// Input: one JSON object in argv[2] (sdk_dir, api, upload, oauth2, token, big_path, big_size,
// missing_file_id, limited_file_id). Output: one JSON object on stdout, a result per step:
// {ok: true, ...what it returned} or {ok: false, error: {...the SDK's error}}.

import { network } from './network_guard.mjs';
import { readAll, sha1, stepper } from './steps.mjs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const input = JSON.parse(process.argv[2]);

const require = createRequire(join(input.sdk_dir, 'package.json'));
const { BoxClient, BoxDeveloperTokenAuth } = require('box-typescript-sdk-gen');
const { NetworkSession } = require('box-typescript-sdk-gen/lib/networking/network.generated');
const { BaseUrls } = require('box-typescript-sdk-gen/lib/networking/baseUrls.generated');
const { BoxApiError, BoxSdkError } = require('box-typescript-sdk-gen/lib/box/errors');
const sdkVersion = JSON.parse(readFileSync(
  join(input.sdk_dir, 'node_modules', 'box-typescript-sdk-gen', 'package.json'), 'utf8')).version;

// The SDK's own retry strategy, as shipped (the test measures its waits).
function session() {
  return new NetworkSession({
    baseUrls: new BaseUrls({ baseUrl: input.api, uploadUrl: input.upload,
                             oauth2Url: input.oauth2 }),
  });
}

function clientWith(token) {
  return new BoxClient({ auth: new BoxDeveloperTokenAuth({ token }), networkSession: session() });
}

function describe(error) {
  if (error instanceof BoxApiError) {
    const info = error.responseInfo;
    return {
      // responseInfo.code (and requestId) come JSON-encoded (sdToJson): '"not_found"'.
      kind: 'BoxApiError', message: error.message, status: info.statusCode,
      code: info.body?.code ?? null, sdk_code: info.code ?? null,
      context_info: info.contextInfo ?? null, request_id: info.body?.request_id ?? null,
      retry_after: info.headers['retry-after'] ?? null,
    };
  }
  if (error instanceof BoxSdkError) {
    return { kind: 'BoxSdkError', message: error.message };
  }
  return { kind: error?.constructor?.name ?? typeof error, message: String(error?.message ?? error),
           stack: String(error?.stack ?? '').slice(0, 2000) };
}

const { steps, step } = stepper(describe);

const client = clientWith(input.token);
const small = Buffer.from('small backup '.repeat(1000));
let folderId = null;
let fileId = null;
let bigId = null;

// users/me first: the test has a 429 with retry-after waiting on it, which the SDK retries.
await step('users_me', async () => {
  const me = await client.users.getUserMe({
    fields: ['login', 'space_amount', 'space_used', 'max_upload_size'],
  });
  return { id: me.id, login: me.login, space_amount: me.spaceAmount, space_used: me.spaceUsed,
           max_upload_size: me.maxUploadSize };
});

await step('root_folder', async () => {
  const root = await client.folders.getFolderById('0');
  return { id: root.id, name: root.name };
});

await step('create_folder', async () => {
  const folder = await client.folders.createFolder({ name: 'node-backups', parent: { id: '0' } });
  folderId = folder.id;
  return { id: folder.id, name: folder.name, parent: folder.parent?.id ?? null };
});

await step('create_folder_conflict', async () => {
  const again = await client.folders.createFolder({ name: 'node-backups', parent: { id: '0' } });
  return { id: again.id };
});

await step('upload_small', async () => {
  const files = await client.uploads.uploadFile({
    attributes: { name: 'small.wpress', parent: { id: folderId } },
    file: Readable.from([small]),
  });
  const file = files.entries[0];
  fileId = file.id;
  return { id: file.id, name: file.name, size: file.size, sha1: file.sha1, expected: sha1(small) };
});

await step('upload_conflict', async () => {
  const files = await client.uploads.uploadFile({
    attributes: { name: 'small.wpress', parent: { id: folderId } },
    file: Readable.from([small]),
  });
  return { id: files.entries[0].id };
});

await step('preflight', async () => {
  const url = await client.uploads.preflightFileUploadCheck({
    name: 'next.wpress', size: 10000, parent: { id: folderId },
  });
  return { upload_url: url.uploadUrl ?? null };
});

// Five more backups, then the folder listed two at a time, by marker and by offset.
await step('listing', async () => {
  for (const n of [1, 2, 3, 4, 5]) {
    await client.uploads.uploadFile({
      attributes: { name: `backup-${n}.wpress`, parent: { id: folderId } },
      file: Readable.from([Buffer.from(`backup ${n}`)]),
    });
  }
  const byMarker = [];
  let marker;
  let pages = 0;
  do {
    const page = await client.folders.getFolderItems(folderId, {
      queryParams: { usemarker: true, limit: 2, ...(marker ? { marker } : {}) },
    });
    byMarker.push(...page.entries.map((e) => e.name));
    marker = page.nextMarker;
    pages += 1;
  } while (marker && pages < 20);
  const byOffset = [];
  let offset = 0;
  let total = 0;
  do {
    const page = await client.folders.getFolderItems(folderId, {
      queryParams: { offset, limit: 2 },
    });
    byOffset.push(...page.entries.map((e) => e.name));
    total = page.totalCount;
    offset += page.entries.length;
    if (page.entries.length === 0) break;
  } while (offset < total);
  return { by_marker: byMarker, marker_pages: pages, by_offset: byOffset, total_count: total };
});

await step('chunked_sdk_uploader', async () => {
  const file = await client.chunkedUploads.uploadBigFile(
    createReadStream(input.big_path), 'big.wpress', input.big_size, folderId);
  bigId = file.id;
  return { id: file.id, name: file.name, size: file.size, sha1: file.sha1 };
});

// The same by hand, as the extension does it: a session, its parts, the list, the commit.
await step('chunked_session_by_hand', async () => {
  const data = await readAll(createReadStream(input.big_path));
  const upload = await client.chunkedUploads.createFileUploadSession({
    folderId, fileSize: data.length, fileName: 'big-by-hand.wpress',
  });
  const parts = [];
  for (let start = 0; start < data.length; start += upload.partSize) {
    const chunk = data.subarray(start, Math.min(start + upload.partSize, data.length));
    const uploaded = await client.chunkedUploads.uploadFilePart(
      upload.id, Readable.from([chunk]), {
        digest: `sha=${createHash('sha1').update(chunk).digest('base64')}`,
        contentRange: `bytes ${start}-${start + chunk.length - 1}/${data.length}`,
      });
    parts.push(uploaded.part);
  }
  const listed = await client.chunkedUploads.getFileUploadSessionParts(upload.id);
  const committed = await client.chunkedUploads.createFileUploadSessionCommit(
    upload.id, { parts }, { digest: `sha=${createHash('sha1').update(data).digest('base64')}` });
  const file = committed.entries[0];
  return { session_id: upload.id, part_size: upload.partSize, total_parts: upload.totalParts,
           parts: parts.length, listed: listed.totalCount, id: file.id, size: file.size,
           sha1: file.sha1 };
});

await step('download_small', async () => {
  const data = await readAll(await client.downloads.downloadFile(fileId));
  return { size: data.length, sha1: sha1(data) };
});

await step('download_big', async () => {
  const data = await readAll(await client.downloads.downloadFile(bigId));
  return { size: data.length, sha1: sha1(data) };
});

await step('delete_file', async () => {
  await client.files.deleteFileById(fileId);
  return {};
});

await step('deleted_file_is_404', async () => {
  const file = await client.files.getFileById(fileId);
  return { id: file.id };
});

await step('missing_file_is_404', async () => {
  const file = await client.files.getFileById(input.missing_file_id);
  return { id: file.id };
});

await step('delete_folder', async () => {
  await client.folders.deleteFolderById(folderId, { queryParams: { recursive: true } });
  return {};
});

await step('bad_token', async () => {
  const me = await clientWith('not-a-token').users.getUserMe();
  return { id: me.id };
});

// The test keeps this file answering 429 with retry-after, more times than the SDK tries.
await step('rate_limited', async () => {
  const file = await clientWith(input.token).files.getFileById(input.limited_file_id);
  return { id: file.id };
});

process.stdout.write(JSON.stringify({ sdk: 'box-typescript-sdk-gen', version: sdkVersion,
                                      node: process.version, network, steps }) + '\n');
