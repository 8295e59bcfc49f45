import { describe, expect, it } from 'vitest';
import { readCapped } from '../src/http-errors.js';

const encoder = new TextEncoder();

/** A body without a declared length, delivered in the given chunks. */
function chunked(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

describe('readCapped', () => {
  it('reads a body with a declared length in one piece', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const res = new Response(body, { headers: { 'content-length': String(encoder.encode(body).byteLength) } });
    expect(await readCapped(res, 1024)).toBe(body);
  });

  it('refuses a declared length over the cap without reading the body', async () => {
    let pulled = false;
    // highWaterMark 0: the stream pulls only when somebody reads.
    const stream = new ReadableStream(
      {
        pull: () => {
          pulled = true;
        },
      },
      { highWaterMark: 0 },
    );
    expect(await readCapped(new Response(stream, { headers: { 'content-length': '2048' } }), 1024)).toBeNull();
    expect(pulled).toBe(false);
  });

  it('refuses a declared length that undersells the body, reading no more than it declared', async () => {
    let enqueued = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          enqueued += 8;
          controller.enqueue(encoder.encode('x'.repeat(8)));
          if (enqueued >= 2048) controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    expect(await readCapped(new Response(stream, { headers: { 'content-length': '10' } }), 1024)).toBeNull();
    // Two 8-byte chunks pass the 10 declared bytes: reading stops there, far below the 1024-byte cap.
    expect(enqueued).toBe(16);
  });

  it('treats a malformed Content-Length as absent and still caps the body', async () => {
    for (const length of ['abc', '-1', '1e3', '12abc']) {
      expect(
        await readCapped(new Response('y'.repeat(2000), { headers: { 'content-length': length } }), 1024),
        length,
      ).toBeNull();
      expect(
        await readCapped(new Response('y'.repeat(20), { headers: { 'content-length': length } }), 1024),
        length,
      ).toBe('y'.repeat(20));
    }
  });

  it('streams a body without a length and stops at the cap', async () => {
    const chunk = encoder.encode('y'.repeat(600));
    expect(await readCapped(new Response(chunked([chunk])), 1024)).toBe('y'.repeat(600));
    expect(await readCapped(new Response(chunked([chunk, chunk])), 1024)).toBeNull();
  });

  it('streams a body the runtime decodes even when its declared length is small', async () => {
    // A decoded (e.g. gzip) body can be far larger than its Content-Length: the cap applies to what is read.
    const res = new Response(chunked([encoder.encode('z'.repeat(900)), encoder.encode('z'.repeat(900))]), {
      headers: { 'content-length': '40', 'content-encoding': 'gzip' },
    });
    expect(await readCapped(res, 1024)).toBeNull();
  });

  it('decodes UTF-8 split across chunks', async () => {
    const bytes = encoder.encode('café ✓');
    const split = [bytes.slice(0, 4), bytes.slice(4, 8), bytes.slice(8)];
    expect(await readCapped(new Response(chunked(split)), 1024)).toBe('café ✓');
  });

  it('answers an empty string for a message without a body', async () => {
    expect(await readCapped(new Response(null), 10)).toBe('');
  });
});
