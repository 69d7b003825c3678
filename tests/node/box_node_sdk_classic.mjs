// Box's classic Node SDK (box-node-sdk 4.x, pinned in tests/node/package.json: its own request
// stack, @cypress/request, and its own chunked uploader) through the same calls as
// box_sdk_client.mjs, against the fake Box that tests/with_servers/test_sdk_node.py starts on
// 127.0.0.1 over HTTPS (NODE_EXTRA_CA_CERTS). The same guard (network_guard.mjs) refuses any connection but to
// 127.0.0.1 and every DNS lookup, before the SDK loads.
//
// Input: one JSON object in argv[2] (sdk_dir, api, upload, token, big_path, big_size,
// missing_file_id, limited_file_id). Output: one JSON object, a result per step.

import { network } from './network_guard.mjs';
import { readAll, sha1, stepper } from './steps.mjs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const input = JSON.parse(process.argv[2]);


const require = createRequire(join(input.sdk_dir, 'package.json'));
const BoxSDK = require('box-node-sdk').default;
const sdkVersion = JSON.parse(readFileSync(
  join(input.sdk_dir, 'node_modules', 'box-node-sdk', 'package.json'), 'utf8')).version;

// apiRootURL and uploadAPIRootURL are Box's roots without /2.0 (the SDK adds apiVersion);
// authorizeRootURL too, though a basic (developer token) client never authorizes.
const sdk = new BoxSDK({
  clientID: 'client-id', clientSecret: 'client-secret', apiRootURL: input.api,
  uploadAPIRootURL: input.upload, authorizeRootURL: input.api,
  retryIntervalMS: 100, numMaxRetries: 2,
});

function describe(error) {
  const response = error?.response;
  if (response) {
    const body = response.body && typeof response.body === 'object' ? response.body : {};
    return { kind: error.constructor?.name ?? 'Error', message: error.message,
             status: error.statusCode ?? response.statusCode, code: body.code ?? null,
             context_info: body.context_info ?? null, request_id: body.request_id ?? null,
             retry_after: response.headers?.['retry-after'] ?? null };
  }
  return { kind: error?.constructor?.name ?? typeof error, message: String(error?.message ?? error),
           status: error?.statusCode ?? null };
}

const { steps, step } = stepper(describe);

const client = sdk.getBasicClient(input.token);
const small = Buffer.from('small backup '.repeat(1000));
const big = readFileSync(input.big_path);
let folderId = null;
let fileId = null;
let bigId = null;

await step('users_me', async () => {
  const me = await client.users.get(client.CURRENT_USER_ID, {
    fields: 'login,space_amount,space_used,max_upload_size' });
  return { id: me.id, login: me.login, space_amount: me.space_amount, space_used: me.space_used,
           max_upload_size: me.max_upload_size };
});

await step('root_folder', async () => {
  const root = await client.folders.get('0');
  return { id: root.id, name: root.name };
});

await step('create_folder', async () => {
  const folder = await client.folders.create('0', 'node-backups');
  folderId = folder.id;
  return { id: folder.id, name: folder.name, parent: folder.parent?.id ?? null };
});

await step('create_folder_conflict', async () => {
  const again = await client.folders.create('0', 'node-backups');
  return { id: again.id };
});

await step('upload_small', async () => {
  const files = await client.files.uploadFile(folderId, 'small.wpress', small);
  const file = files.entries[0];
  fileId = file.id;
  return { id: file.id, name: file.name, size: file.size, sha1: file.sha1, expected: sha1(small) };
});

await step('upload_conflict', async () => {
  const files = await client.files.uploadFile(folderId, 'small.wpress', small);
  return { id: files.entries[0].id };
});

await step('preflight', async () => {
  const url = await client.files.preflightUploadFile(folderId,
                                                     { name: 'next.wpress', size: 10000 });
  return { upload_url: url.upload_url ?? null };
});

await step('listing', async () => {
  for (const n of [1, 2, 3, 4, 5]) {
    await client.files.uploadFile(folderId, `backup-${n}.wpress`, Buffer.from(`backup ${n}`));
  }
  const byMarker = [];
  let marker;
  let pages = 0;
  do {
    const page = await client.folders.getItems(folderId, {
      usemarker: true, limit: 2, ...(marker ? { marker } : {}) });
    byMarker.push(...page.entries.map((e) => e.name));
    marker = page.next_marker;
    pages += 1;
  } while (marker && pages < 20);
  const byOffset = [];
  let offset = 0;
  let total = 0;
  do {
    const page = await client.folders.getItems(folderId, { offset, limit: 2 });
    byOffset.push(...page.entries.map((e) => e.name));
    total = page.total_count;
    offset += page.entries.length;
    if (page.entries.length === 0) break;
  } while (offset < total);
  return { by_marker: byMarker, marker_pages: pages, by_offset: byOffset, total_count: total };
});

await step('chunked_sdk_uploader', async () => {
  const uploader = await client.files.getChunkedUploader(folderId, big.length, 'big.wpress', big);
  const files = await uploader.start();
  const file = files.entries[0];
  bigId = file.id;
  return { id: file.id, size: file.size, sha1: file.sha1 };
});

// By hand: createUploadSession, uploadPart per part, getUploadSessionParts, commit.
await step('chunked_session_by_hand', async () => {
  const upload = await client.files.createUploadSession(folderId, big.length,
                                                        'big-by-hand.wpress');
  const parts = [];
  for (let start = 0; start < big.length; start += upload.part_size) {
    const chunk = big.subarray(start, Math.min(start + upload.part_size, big.length));
    const uploaded = await client.files.uploadPart(upload.id, chunk, start, big.length);
    parts.push(uploaded.part);
  }
  const listed = await client.files.getUploadSessionParts(upload.id);
  const committed = await client.files.commitUploadSession(
    upload.id, createHash('sha1').update(big).digest('base64'), { parts });
  const file = committed.entries[0];
  return { session_id: upload.id, part_size: upload.part_size, total_parts: upload.total_parts,
           parts: parts.length, listed: listed.total_count, id: file.id, size: file.size,
           sha1: file.sha1 };
});

await step('download_small', async () => {
  const data = await readAll(await client.files.getReadStream(fileId));
  return { size: data.length, sha1: sha1(data) };
});

await step('download_big', async () => {
  const data = await readAll(await client.files.getReadStream(bigId));
  return { size: data.length, sha1: sha1(data) };
});

await step('delete_file', async () => {
  await client.files.delete(fileId);
  return {};
});

await step('deleted_file_is_404', async () => {
  const file = await client.files.get(fileId);
  return { id: file.id };
});

await step('missing_file_is_404', async () => {
  const file = await client.files.get(input.missing_file_id);
  return { id: file.id };
});

await step('delete_folder', async () => {
  await client.folders.delete(folderId, { recursive: true });
  return {};
});

await step('bad_token', async () => {
  const me = await sdk.getBasicClient('not-a-token').users.get('me');
  return { id: me.id };
});

await step('rate_limited', async () => {
  const file = await client.files.get(input.limited_file_id);
  return { id: file.id };
});

process.stdout.write(JSON.stringify({ sdk: 'box-node-sdk', version: sdkVersion,
                                      node: process.version, network, steps }) + '\n');
