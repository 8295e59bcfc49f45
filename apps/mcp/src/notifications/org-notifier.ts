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
 *
 * A stream lives at most STREAM_LIFETIME_MS: the token that opened it was checked once, at open, so a revoked token
 * or a removed member loses its streams within that time. A 2025 client reconnects (re-authenticated) with
 * `Last-Event-ID`; a listen stream ends with its final result and the client listens again.
 */
import { DurableObject } from 'cloudflare:workers';
import { SERVER_INFO_META_KEY } from '@modelcontextprotocol/server';
import { SERVER_INFO } from '../mcp/server.js';

const encoder = new TextEncoder();
const REPLAY_LIMIT = 100;
/** SSE comment sent this often so proxies keep idle streams open. */
const KEEPALIVE_MS = 20_000;

/** Open `subscriptions/listen` streams per organization before new ones are refused (−32603). */
export const MAX_LISTENERS = 1_000;

/** Open `subscriptions/listen` streams per user, so one member cannot hold the organization's whole allowance. */
export const MAX_LISTENERS_PER_USER = 10;

/** Longest life of one stream (ms), after which it is closed and the client reconnects with a fresh check. */
export const STREAM_LIFETIME_MS = 15 * 60_000;

/** Why a listen stream was not opened. */
export type ListenRefusal = 'organization_limit' | 'user_limit';

/** `_meta` key tagging a notification with the subscription it answers (MCP 2026-07-28 §Subscriptions). */
export const SUBSCRIPTION_ID_META_KEY = 'io.modelcontextprotocol/subscriptionId';

interface Subscriber {
  /** The 2025-era session of a GET stream; null for a listen stream. */
  sessionId: string | null;
  /** A listen stream's subscription id, its user, and the notification methods its filter admits. */
  listen?: { subscriptionId: string | number; userId: string; methods: ReadonlySet<string> };
  writer: WritableStreamDefaultWriter<Uint8Array>;
  /** When the stream is closed (epoch ms). */
  expiresAt: number;
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
    const sub: Subscriber = { sessionId, writer: writable.getWriter(), expiresAt: Date.now() + STREAM_LIFETIME_MS };
    this.track(sub);
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
   * `methods`. Refused when the organization holds MAX_LISTENERS listen streams or `userId` holds
   * MAX_LISTENERS_PER_USER.
   */
  listen(
    subscriptionId: string | number,
    userId: string,
    honoured: Record<string, unknown>,
    methods: readonly string[],
  ): ReadableStream<Uint8Array> | ListenRefusal {
    const listeners = [...this.subscribers].filter((s) => s.listen);
    if (listeners.length >= MAX_LISTENERS) return 'organization_limit';
    if (listeners.filter((s) => s.listen!.userId === userId).length >= MAX_LISTENERS_PER_USER) return 'user_limit';
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const sub: Subscriber = {
      sessionId: null,
      listen: { subscriptionId, userId, methods: new Set(methods) },
      writer: writable.getWriter(),
      expiresAt: Date.now() + STREAM_LIFETIME_MS,
    };
    this.track(sub);
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

  /**
   * Closes every stream whose lifetime ended by `now` (epoch ms): a listen stream with its final result (MCP
   * 2026-07-28 §Subscriptions: the server ends a subscription by answering the listen request). Runs on each
   * keepalive tick; returns how many streams it closed.
   */
  async expireStreams(now: number = Date.now()): Promise<number> {
    const expired = [...this.subscribers].filter((s) => s.expiresAt <= now);
    for (const s of expired) {
      this.subscribers.delete(s);
      // Queued, not awaited: a client that stopped reading must not hold up the others' expiry. close() follows
      // the final frame out.
      if (s.listen) s.writer.write(encoder.encode(listenEnd(s.listen.subscriptionId))).catch(() => undefined);
      s.writer.close().catch(() => undefined);
    }
    this.stopKeepaliveIfIdle();
    return expired.length;
  }

  /** Holds a stream until it ends, however it ends: a client that cancels frees its place (and its cap) at once. */
  private track(sub: Subscriber): void {
    this.subscribers.add(sub);
    const forget = () => {
      this.subscribers.delete(sub);
      this.stopKeepaliveIfIdle();
    };
    sub.writer.closed.then(forget, forget);
  }

  private startKeepalive(): void {
    this.keepalive ??= setInterval(() => {
      void this.expireStreams();
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

/**
 * The final answer of a listen request, which ends its stream (MCP 2026-07-28 §Subscriptions); with the
 * subscription id and the server's identity in `_meta`, as every modern result carries.
 */
export function listenEnd(subscriptionId: string | number): string {
  const _meta = { [SUBSCRIPTION_ID_META_KEY]: subscriptionId, [SERVER_INFO_META_KEY]: SERVER_INFO };
  return `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: subscriptionId, result: { resultType: 'complete', _meta } })}\n\n`;
}

function frame(id: string, data: string): string {
  return `event: message\nid: ${id}\ndata: ${data}\n\n`;
}

/** The organization's OrgNotifier stub (one object per organization id). */
export function notifierFor(env: Env, organizationId: string) {
  return env.ORG_NOTIFIER.get(env.ORG_NOTIFIER.idFromName(organizationId));
}
