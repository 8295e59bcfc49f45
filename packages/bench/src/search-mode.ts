/**
 * Search-mode rows (issue 19 §1): the largest catalog's workspace switched to search mode, its tools/list (what a
 * client is sent, and its size in model tokens, counted with gpt-tokenizer's o200k_base encoding, GPT-4o's), a
 * `search_tools` call on a catalog of the same size that reads like a real one (search-corpus.ts), against the
 * one-SELECT baseline, and the same call on the list rows' catalog, where every tool matches every query word (the
 * ranker's worst case, reported without a target). Targets: the list ≤ 5,000 tokens, search_tools p50 ≤ 2× the
 * baseline.
 */
import { updateWorkspaceSettings, type Db } from '@gatehouse/integrations-adapters-cf';
import type { Miniflare } from 'miniflare';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { MCP_ORIGIN } from './bench-stack.js';
import type { ReportRow } from './report.js';
import { BenchCheckError, jsonRpcRequest, jsonRpcResult, sendText, withSession, type PreparedRequest } from './rpc.js';
import { SEARCH_EXPECTED_FIRST, SEARCH_QUERY } from './search-corpus.js';
import type { BenchTenant } from './seed.js';

/** The targets. */
export const SEARCH_LIST_TOKEN_TARGET = 5_000;
export const SEARCH_TOOLS_TARGET_RATIO = 2;

export interface SearchModeResult {
  list: ReportRow;
  search: ReportRow;
  worstCase: ReportRow;
  /** Tokens of the search-mode `tools` array as JSON (what a client puts in the model's context). */
  listTokens: number;
  listTools: number;
  /** The same for the full list of the same workspace (list mode), for scale. */
  fullListTokens: number;
  size: number;
}

const toolsOf = (text: string) => {
  const tools = jsonRpcResult(text).tools;
  if (!Array.isArray(tools)) throw new BenchCheckError('tools/list result has no tools array');
  return tools as { name?: unknown }[];
};

type MeasureRow = (label: string, req: PreparedRequest, check: (text: string) => number | null) => Promise<ReportRow>;

/** A search_tools request of `tenant` and the check of its answer (`limit` tools, the first matching `first`). */
async function searchRequest(mf: Miniflare, tenant: BenchTenant, query: string, first: RegExp | null) {
  const req = await withSession(
    mf,
    jsonRpcRequest(`${MCP_ORIGIN}/mcp`, tenant.token, 'tools/call', {
      name: 'search_tools',
      arguments: { query, limit: 10 },
    }),
  );
  const check = (text: string) => {
    const result = jsonRpcResult(text) as { isError?: unknown; content?: { text?: unknown }[] };
    const found = JSON.parse(String(result.content?.[0]?.text ?? '{}')) as { tools?: { name: string }[] };
    if (result.isError === true || found.tools?.length !== 10 || (first && !first.test(found.tools[0]!.name)))
      throw new BenchCheckError(`search_tools answered ${text.slice(0, 300)}`);
    return null;
  };
  return { req, check };
}

/**
 * Measures the rows: `tenant` (the list rows' workspace with `size` × 10 tools) switched to search mode and back to
 * list mode after, and `corpus` (a search-mode workspace of searchCorpusTemplate installations). `measureRow` is the
 * run's row sampler (row.ts with its plan).
 */
export async function measureSearchMode(
  mf: Miniflare,
  db: Db,
  tenant: BenchTenant,
  corpus: BenchTenant,
  size: number,
  measureRow: MeasureRow,
): Promise<SearchModeResult> {
  const listReq = await withSession(mf, jsonRpcRequest(`${MCP_ORIGIN}/mcp`, tenant.token, 'tools/list'));
  const fullListTokens = countTokens(JSON.stringify(toolsOf(await sendText(mf, listReq))));
  await updateWorkspaceSettings(db, tenant, { toolDiscovery: 'search' });
  try {
    const listText = await sendText(mf, listReq);
    const tools = toolsOf(listText);
    if (!tools.some((t) => t.name === 'call_tool') || !tools.some((t) => t.name === 'search_tools'))
      throw new BenchCheckError('search mode: tools/list lacks search_tools or call_tool');
    const list = await measureRow(`tools/list ${size} × 10 (search mode)`, listReq, (text) => {
      const n = toolsOf(text).length;
      if (n !== tools.length) throw new BenchCheckError(`search mode: ${n} tools listed, expected ${tools.length}`);
      return n;
    });
    const realistic = await searchRequest(mf, corpus, SEARCH_QUERY, SEARCH_EXPECTED_FIRST);
    const search = await measureRow(
      `tools/call search_tools "${SEARCH_QUERY}", ${size} × 10 tools`,
      realistic.req,
      realistic.check,
    );
    const worst = await searchRequest(mf, tenant, 'get record status owner view 7', null);
    const worstCase = await measureRow(
      `tools/call search_tools, ${size} × 10 identical tools (worst case)`,
      worst.req,
      worst.check,
    );
    return {
      list,
      search,
      worstCase,
      listTokens: countTokens(JSON.stringify(tools)),
      listTools: tools.length,
      fullListTokens,
      size,
    };
  } finally {
    await updateWorkspaceSettings(db, tenant, { toolDiscovery: 'list' });
  }
}

/** The two target lines. */
export function renderSearchMode(r: SearchModeResult, baseline: ReportRow): string {
  const ratio = r.search.http.p50Ms / baseline.http.p50Ms;
  const tokensMet = r.listTokens <= SEARCH_LIST_TOKEN_TARGET;
  return [
    `search mode at ${r.size} × 10: tools/list = ${r.listTools} tools, ${r.listTokens} tokens (o200k_base; the full ` +
      `list is ${r.fullListTokens}); target ≤ ${SEARCH_LIST_TOKEN_TARGET}: ${tokensMet ? 'MET' : 'NOT MET'}`,
    `search mode at ${r.size} × 10: search_tools p50 ${r.search.http.p50Ms.toFixed(3)} ms = ${ratio.toFixed(2)}× the ` +
      `one-SELECT baseline; target ≤ ${SEARCH_TOOLS_TARGET_RATIO}×: ${ratio <= SEARCH_TOOLS_TARGET_RATIO ? 'MET' : 'NOT MET on this reading'}` +
      ` (every tool matching: ${r.worstCase.http.p50Ms.toFixed(3)} ms = ${(r.worstCase.http.p50Ms / baseline.http.p50Ms).toFixed(2)}×)`,
  ].join('\n');
}
