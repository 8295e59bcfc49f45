/**
 * One Durable Object per organization holding the open server-to-client streams and fanning notifications out to
 * them, so a change made on any isolate reaches every connected client of the organization. Two kinds of stream:
 *
 * - 2025 era, GET /mcp (MCP 2025-06-18 §Transports "Listening for Messages from the Server"): SSE frames
 *   `event: message`, `id`, `data: <JSON-RPC notification>`. Recent events are kept in memory for resumption with
 *   `Last-Event-ID` (§Resumability and Redelivery): ids are `<epoch>:<seq>`, and an id from another epoch (the
 *   object restarted) replays nothing rather than the wrong events.
 * - 2026-07-28, the response stream of `subscriptions/listen` (MCP 2026-07-28 §Subscriptions): first
 *   `notifications/subscriptions/acknowledged` with the honoured filter, then each notification the filter admits,
 *   tagged with `_meta["io.modelcontextprotocol/subscriptionId"]` (the listen request's id). No event ids: a
 *   modern client re-listens instead of resuming.
 */
import { DurableObject } from 'cloudflare:workers';

const encoder = new TextEncoder();
const REPLAY_LIMIT = 100;
/** SSE comment sent this often so proxies keep idle streams open. */
const KEEPALIVE_MS = 20_000;

/** Open `subscriptions/listen` streams per organization before new ones are refused (−32603). */
export const MAX_LISTENERS = 1_000;

/** `_meta` key tagging a notification with the subscription it answers (MCP 2026-07-28 §Subscriptions). */
export const SUBSCRIPTION_ID_META_KEY = 'io.modelcontextprotocol/subscriptionId';

interface Subscriber {
  /** The 2025-era session of a GET stream; null for a listen stream. */
  sessionId: string | null;
  /** A listen stream's subscription id and the notification methods its filter admits. */
  listen?: { subscriptionId: string | number; methods: ReadonlySet<string> };
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
    this.startKeepalive();
    return readable;
  }

  /**
   * Opens the response stream of one `subscriptions/listen` request: the acknowledgement with `honoured` (the
   * filter the caller checked against the server's capabilities), then every notification whose method is in
   * `methods`. Null when the organization already holds MAX_LISTENERS listen streams.
   */
  listen(
    subscriptionId: string | number,
    honoured: Record<string, unknown>,
    methods: readonly string[],
  ): ReadableStream<Uint8Array> | null {
    if ([...this.subscribers].filter((s) => s.listen).length >= MAX_LISTENERS) return null;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const sub: Subscriber = {
      sessionId: null,
      listen: { subscriptionId, methods: new Set(methods) },
      writer: writable.getWriter(),
    };
    this.subscribers.add(sub);
    void this.write(sub, listenFrame('notifications/subscriptions/acknowledged', { notifications: honoured }, sub));
    this.startKeepalive();
    return readable;
  }

  /** Sends a JSON-RPC notification to every open stream; returns how many streams it was written to. */
  async notify(method: string, params?: Record<string, unknown>): Promise<number> {
    const id = `${this.epoch}:${++this.seq}`;
    const data = JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
    this.recent.push({ id, data });
    if (this.recent.length > REPLAY_LIMIT) this.recent.shift();
    const targets = [...this.subscribers].filter((s) => !s.listen || s.listen.methods.has(method));
    const results = await Promise.all(
      targets.map((s) => this.write(s, s.listen ? listenFrame(method, params, s) : frame(id, data))),
    );
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

  private startKeepalive(): void {
    this.keepalive ??= setInterval(() => {
      for (const s of this.subscribers) void this.write(s, ': keepalive\n\n');
    }, KEEPALIVE_MS);
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

/** A listen stream's frame: the notification tagged with the subscription id, no event id. */
function listenFrame(method: string, params: Record<string, unknown> | undefined, sub: Subscriber): string {
  const meta = {
    ...(params?._meta as Record<string, unknown> | undefined),
    [SUBSCRIPTION_ID_META_KEY]: sub.listen!.subscriptionId,
  };
  return `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method, params: { ...params, _meta: meta } })}\n\n`;
}

function frame(id: string, data: string): string {
  return `event: message\nid: ${id}\ndata: ${data}\n\n`;
}

/** The organization's OrgNotifier stub (one object per organization id). */
export function notifierFor(env: Env, organizationId: string) {
  return env.ORG_NOTIFIER.get(env.ORG_NOTIFIER.idFromName(organizationId));
}
