// What both SDK scripts share beside the network guard: the step runner (each step's result,
// or its error as the script's `describe` renders that SDK's error, and its time) and two
// byte helpers.

import { createHash } from 'node:crypto';

export function stepper(describe) {
  const steps = {};
  async function step(name, body) {
    const started = Date.now();
    try {
      steps[name] = { ok: true, ...(await body()) };
    } catch (error) {
      steps[name] = { ok: false, error: describe(error) };
    }
    steps[name].ms = Date.now() - started;
    return steps[name];
  }
  return { steps, step };
}

export function sha1(buffer) {
  return createHash('sha1').update(buffer).digest('hex');
}

export async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
