/**
 * One Durable Object per organization holding the open server-to-client streams (GET /mcp, MCP 2025-06-18
 * §Transports "Listening for Messages from the Server") and fanning notifications out to them, so a change made on
 * any isolate reaches every connected client of the organization.
 *
 * Streams are SSE (`event: message`, `id`, `data: <JSON-RPC notification>`). Recent events are kept in memory for
 * resumption with `Last-Event-ID` (§Resumability and Redelivery): ids are `<epoch>:<seq>`, and an id from another
 * epoch (the object restarted) replays nothing rather than the wrong events.
 */
import { DurableObject } from 'cloudflare:workers';

const encoder = new TextEncoder();
const REPLAY_LIMIT = 100;
/** SSE comment sent this often so proxies keep idle streams open. */
const KEEPALIVE_MS = 20_000;

interface Subscriber {
  sessionId: string;
  writer: WritableStreamDefaultWriter<Uint8Array>;
}

export class OrgNotifier extends DurableObject<Env> {
  private readonly epoch = crypto.randomUUID().slice(0, 8);
  private seq = 0;
  private readonly recent: { id: string; data: string }[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private keepalive: ReturnType<typeof setInterval> | undefined;

  /** Opens an SSE stream for one MCP session. `lastEventId` resumes after that event when it is still held. */
  subscribe(sessionId: string, lastEventId: string | null): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const sub: Subscriber = { sessionId, writer: writable.getWriter() };
    this.subscribers.add(sub);
    // An SSE comment first, so the client sees the stream open before any notification.
    void this.write(sub, ': gatehouse stream open\n\n');
    if (lastEventId?.startsWith(`${this.epoch}:`)) {
      const after = Number(lastEventId.slice(this.epoch.length + 1));
      for (const e of this.recent)
        if (Number(e.id.slice(this.epoch.length + 1)) > after) void this.write(sub, frame(e.id, e.data));
    }
    this.keepalive ??= setInterval(() => {
      for (const s of this.subscribers) void this.write(s, ': keepalive\n\n');
    }, KEEPALIVE_MS);
    return readable;
  }

  /** Sends a JSON-RPC notification to every open stream; returns how many streams it was written to. */
  async notify(method: string, params?: Record<string, unknown>): Promise<number> {
    const id = `${this.epoch}:${++this.seq}`;
    const data = JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
    this.recent.push({ id, data });
    if (this.recent.length > REPLAY_LIMIT) this.recent.shift();
    const results = await Promise.all([...this.subscribers].map((s) => this.write(s, frame(id, data))));
    return results.filter(Boolean).length;
  }

  /** Closes the streams of an ended session (DELETE /mcp). */
  async closeSession(sessionId: string): Promise<void> {
    for (const s of [...this.subscribers]) {
      if (s.sessionId !== sessionId) continue;
      this.subscribers.delete(s);
      await s.writer.close().catch(() => undefined);
    }
    this.stopKeepaliveIfIdle();
  }

  private async write(sub: Subscriber, text: string): Promise<boolean> {
    try {
      await sub.writer.write(encoder.encode(text));
      return true;
    } catch {
      // The client went away: forget the stream.
      this.subscribers.delete(sub);
      this.stopKeepaliveIfIdle();
      return false;
    }
  }

  private stopKeepaliveIfIdle(): void {
    if (this.subscribers.size === 0 && this.keepalive !== undefined) {
      clearInterval(this.keepalive);
      this.keepalive = undefined;
    }
  }
}

function frame(id: string, data: string): string {
  return `event: message\nid: ${id}\ndata: ${data}\n\n`;
}
