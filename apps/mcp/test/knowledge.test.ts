/**
 * The knowledge base on D1 FTS5: a document added by one client is found by another in the same workspace, with the
 * hit highlighted and ranked; never from another organization or another workspace (Local), always from every
 * workspace (Global); upserts by external id; roles for Global documents; the 1 MB limit; queries that look like
 * FTS5 syntax; stemming, prefixes and tags; the index kept in step with deletes.
 */
import { env } from 'cloudflare:test';
import {
  createApiToken,
  createWorkspace,
  upsertKnowledgeDocument,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import { chunkKnowledgeText } from '@gatehouse/integrations-core';
import { hybridRetriever } from '../src/knowledge/retriever.js';
import { memoryVectorIndex, wordEmbedder } from './knowledge-fakes.js';
import { describe, expect, it } from 'vitest';
import { callTool, db, seedTenant } from './helpers.js';

const RUNBOOK = [
  '# Deploy runbook',
  'Deployments go out from the release branch every Tuesday.',
  '',
  '## Rollback',
  'To roll back, revert the release tag and redeploy the previous build. Page the on-call engineer first.',
  '',
  '## Secrets',
  'Rotate the signing key with three deploys.',
].join('\n');

type Hit = { document_id: string; title: string; heading: string; passage: string; score: number; tags: string[] };
const search = async (token: string, query: string, extra: Record<string, unknown> = {}) => {
  const r = await callTool(token, 'search_knowledge', { query, ...extra });
  if (r.isError) throw new Error(r.text);
  return r.json as { mode: string; results: Hit[] };
};

async function memberOf(t: Awaited<ReturnType<typeof seedTenant>>, email: string, workspaceId = t.ws.id) {
  const user = await upsertMember(db, t.tenant, { email, role: 'MEMBER' });
  const { token } = await createApiToken(
    db,
    { organizationId: t.org.id, workspaceId },
    { userId: user.id, role: 'MEMBER', name: email },
  );
  return token;
}

describe('knowledge', () => {
  it('finds what another client of the workspace added, ranked and highlighted, and nothing of other tenants', async () => {
    const t = await seedTenant('kb-main');
    const colleague = await memberOf(t, 'colleague@kb-main.test');
    const added = await callTool(colleague, 'add_knowledge_document', {
      title: 'Deploy runbook',
      text: RUNBOOK,
      source_url: 'https://wiki.kb-main.test/deploy',
      tags: ['ops'],
    });
    expect(added.isError, added.text).toBe(false);
    expect(added.json.document).toMatchObject({ scope: 'Local', chunks: 3, tags: ['ops'] });
    await callTool(colleague, 'add_knowledge_document', { title: 'Lunch', text: 'Pizza on Fridays.' });

    const found = await search(t.token, 'how do I roll back a release?');
    expect(found.mode).toBe('fts');
    expect(found.results[0]).toMatchObject({
      document_id: added.json.document.id,
      title: 'Deploy runbook',
      heading: 'Deploy runbook › Rollback',
      tags: ['ops'],
    });
    expect(found.results[0]!.passage).toContain('**roll**');
    expect(found.results[0]!.score).toBeGreaterThan(0);
    expect(found.results.map((r) => r.title)).not.toContain('Lunch');
    // Stemming and prefixes: "rotating keys" finds "Rotate the signing key", "redepl*" finds "redeploy".
    expect((await search(t.token, 'rotating keys')).results[0]!.heading).toBe('Deploy runbook › Secrets');
    expect((await search(t.token, 'redepl*')).results[0]!.heading).toBe('Deploy runbook › Rollback');
    expect((await search(t.token, 'release', { tags: ['hr'] })).results).toEqual([]);

    // Another organization with the same words sees nothing of it; another workspace of this one neither (Local).
    const other = await seedTenant('kb-other');
    await callTool(other.token, 'add_knowledge_document', { title: 'Their runbook', text: 'Roll back by hand.' });
    expect((await search(other.token, 'roll back release')).results.map((r) => r.title)).toEqual(['Their runbook']);
    const ws2 = await createWorkspace(db, t.tenant, { slug: 'second', name: 'Second' });
    const elsewhere = await memberOf(t, 'second@kb-main.test', ws2.id);
    expect((await search(elsewhere, 'roll back release')).results).toEqual([]);
    const read = await callTool(elsewhere, 'get_knowledge_document', { document_id: added.json.document.id });
    expect(read.isError).toBe(true);
    expect(
      (await callTool(other.token, 'delete_knowledge_document', { document_id: added.json.document.id })).isError,
    ).toBe(true);

    // A Global document is found from every workspace; only an ADMIN writes or deletes one.
    const refused = await callTool(colleague, 'add_knowledge_document', {
      title: 'Handbook',
      text: 'Holidays are booked in the HR tool.',
      scope: 'Global',
    });
    expect(refused).toMatchObject({ isError: true, text: expect.stringContaining('needs the ADMIN role') });
    const global = await callTool(t.token, 'add_knowledge_document', {
      title: 'Handbook',
      text: 'Holidays are booked in the HR tool.',
      scope: 'Global',
    });
    expect((await search(elsewhere, 'holidays')).results.map((r) => r.title)).toEqual(['Handbook']);
    expect((await search(elsewhere, 'holidays', { scope: 'Local' })).results).toEqual([]);
    expect(
      await callTool(colleague, 'delete_knowledge_document', { document_id: global.json.document.id }),
    ).toMatchObject({ isError: true, text: expect.stringContaining('needs the ADMIN role') });

    // Searches are recorded in the run history like any tool call (written a moment after the answer).
    let recorded = 0;
    for (let i = 0; i < 50 && recorded === 0; i++) {
      recorded = (await callTool(t.token, 'search_run_history', { tool: 'search_knowledge' })).json.items.length;
      if (recorded === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recorded).toBeGreaterThan(0);
  });

  it('replaces a document by external id, keeps the index in step on delete, and refuses what it cannot take', async () => {
    const t = await seedTenant('kb-upsert');
    const first = await callTool(t.token, 'add_knowledge_document', {
      title: 'Onboarding',
      text: 'Ask for a laptop on day one.',
      external_id: 'docs/onboarding.md',
    });
    const second = await callTool(t.token, 'add_knowledge_document', {
      title: 'Onboarding',
      text: 'Badges are collected at reception.',
      external_id: 'docs/onboarding.md',
    });
    expect(second.json).toMatchObject({ replaced: true, document: { id: first.json.document.id } });
    expect((await search(t.token, 'laptop')).results).toEqual([]);
    expect((await search(t.token, 'badges')).results).toHaveLength(1);
    expect((await callTool(t.token, 'list_knowledge_documents', {})).json.documents).toHaveLength(1);

    const ftsRows = async () =>
      (await env.AUTH_DB.prepare('select count(*) as n from knowledge_fts').first<{ n: number }>())!.n;
    const before = await ftsRows();
    await callTool(t.token, 'delete_knowledge_document', { document_id: first.json.document.id });
    expect(await ftsRows()).toBe(before - 1);
    expect((await search(t.token, 'badges')).results).toEqual([]);

    // FTS5 syntax in a query is text, never an error or an operator.
    expect((await search(t.token, 'title:" OR NOT (badges NEAR/2')).results).toEqual([]);
    expect(await callTool(t.token, 'search_knowledge', { query: '?!' })).toMatchObject({ isError: true });
    // A workspace or organization delete cascades to the chunks; their index rows go too (trigger).
    const doomed = await callTool(t.token, 'add_knowledge_document', { title: 'Doomed', text: 'Temporary words.' });
    const withDoomed = await ftsRows();
    await env.AUTH_DB.prepare('delete from knowledge_documents where id = ?').bind(doomed.json.document.id).run();
    expect(await ftsRows()).toBe(withDoomed - 1);
    const degenerate = await callTool(t.token, 'add_knowledge_document', {
      title: 'Headings',
      text: '# h\nx\n'.repeat(2001),
    });
    expect(degenerate).toMatchObject({ isError: true, text: expect.stringContaining('the limit is 2000') });
    const script = await callTool(t.token, 'add_knowledge_document', {
      title: 'Link',
      text: 'Click.',
      source_url: 'javascript:alert(1)',
    });
    expect(script.isError).toBe(true);
    const tooBig = await callTool(t.token, 'add_knowledge_document', { title: 'Big', text: 'x'.repeat(1_000_001) });
    expect(tooBig).toMatchObject({ isError: true, text: expect.stringContaining('413') });
    expect(tooBig.text).toContain('1000000 bytes');
  });

  it('takes two first adds of one new external id at once: one document, the later a replacement', async () => {
    const t = await seedTenant('kb-first-add-race');
    const add = (text: string) =>
      upsertKnowledgeDocument(
        db,
        { organizationId: t.org.id },
        {
          workspaceId: t.ws.id,
          title: 'Runbook',
          text,
          sourceUrl: null,
          tags: [],
          externalId: 'runbooks/deploy.md',
          chunks: [{ heading: 'Runbook', text }],
          userId: t.user.id,
        },
      );
    // Both read "no document yet" before either writes (what two importers racing on one file do).
    const outcomes = await Promise.all([add('Deploy with the blue pipeline.'), add('Deploy with the green pipeline.')]);
    expect(outcomes.map((o) => o.replaced).sort()).toEqual([false, true]);
    expect(outcomes[0]!.document.id).toBe(outcomes[1]!.document.id);
    expect((await callTool(t.token, 'list_knowledge_documents', {})).json.documents).toHaveLength(1);
  });

  it('hybrid: a vector index that answers another tenant’s chunks returns nothing of theirs', async () => {
    const a = await seedTenant('kb-hybrid-a');
    const b = await seedTenant('kb-hybrid-b');
    // One index, and it ignores namespaces and filters: every chunk of both organizations comes back.
    const index = memoryVectorIndex({ leaky: true });
    const retriever = hybridRetriever(db, wordEmbedder(), index);
    const add = async (t: typeof a, title: string, text: string) => {
      const { document, removedChunkIds } = await upsertKnowledgeDocument(db, t.tenant, {
        workspaceId: t.ws.id,
        title,
        text,
        sourceUrl: null,
        tags: [],
        externalId: title,
        chunks: chunkKnowledgeText(text),
        userId: t.user.id,
      });
      await retriever.indexed(t.tenant, document.id, removedChunkIds);
      return document;
    };
    await add(a, 'A secret plan', 'The acquisition closes in March; the price is confidential.');
    const own = await add(b, 'B notes', 'Quarterly planning happens in March.');
    expect(index.size()).toBe(2);
    const hits = await retriever.search(b.tenant, 'acquisition price confidential March', { scope: 'all', limit: 10 });
    expect(hits.map((h) => h.documentId)).toEqual([own.id]);
    // Replacing a document drops its old vectors.
    await add(b, 'B notes', 'Planning moved to April.');
    expect(index.size()).toBe(2);
  });
});
