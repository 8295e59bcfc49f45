import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_CHARS, chunkKnowledgeText, knowledgeMatchQuery } from '../src/knowledge-text.js';

describe('chunkKnowledgeText', () => {
  it('splits at headings, keeps the heading path, and packs paragraphs while they fit', () => {
    const chunks = chunkKnowledgeText(
      [
        '# Deploy',
        'Run the pipeline.',
        '',
        'Watch the dashboard.',
        '## Rollback',
        'Revert the tag.',
        '# FAQ',
        'Ask.',
      ].join('\n'),
    );
    expect(chunks).toEqual([
      { heading: 'Deploy', text: 'Run the pipeline.\n\nWatch the dashboard.' },
      { heading: 'Deploy › Rollback', text: 'Revert the tag.' },
      { heading: 'FAQ', text: 'Ask.' },
    ]);
  });

  it('bounds every passage, cutting long paragraphs at sentences, and ignores # inside code fences', () => {
    const long = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} says something useful.`).join(' ');
    const chunks = chunkKnowledgeText(`# Notes\n${long}\n\n\`\`\`sh\n# not a heading\nls\n\`\`\``);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(MAX_CHUNK_CHARS);
    expect(chunks.every((c) => c.heading === 'Notes')).toBe(true);
    expect(chunks.map((c) => c.text).join(' ')).toContain('# not a heading');
    // Cut at a sentence end, not mid-word.
    expect(chunks[0]!.text.endsWith('.')).toBe(true);
    expect(chunkKnowledgeText('   \n\n  ')).toEqual([]);
    // A word longer than a passage is cut hard, still bounded.
    expect(chunkKnowledgeText('x'.repeat(3000)).map((c) => c.text.length)).toEqual([1200, 1200, 600]);
  });
});

describe('knowledgeMatchQuery', () => {
  it('quotes words, keeps trailing * as a prefix, and never passes FTS5 syntax through', () => {
    expect(knowledgeMatchQuery('rollback deploy*')).toBe('"rollback" OR "deploy"*');
    expect(knowledgeMatchQuery('title:secret" OR NOT (x) NEAR/2 ^y')).toBe(
      '"title" OR "secret" OR "OR" OR "NOT" OR "x" OR "NEAR" OR "2" OR "y"',
    );
    expect(knowledgeMatchQuery('Déploiement rapide')).toBe('"Déploiement" OR "rapide"');
    expect(knowledgeMatchQuery('!!! ??? ')).toBeNull();
  });
});

describe('reciprocalRankFusion', () => {
  it('ranks what both lists rank high first, and ids only one list has after', async () => {
    const { reciprocalRankFusion } = await import('../src/knowledge-fusion.js');
    const fused = reciprocalRankFusion([
      ['a', 'b', 'c'],
      ['b', 'a', 'd'],
    ]);
    expect(fused.map((f) => f.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
  });
});
