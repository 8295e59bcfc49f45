/**
 * The cold tools/list rows: the first tools/list after each of `samples` catalog version bumps, a toolset cache miss
 * each time (the per-isolate cache is keyed by catalog_version), timed from Node and validated.
 */
import { bumpCatalogVersion, type Db } from '@gatehouse/integrations-adapters-cf';
import type { Miniflare } from 'miniflare';
import type { ColdRow, ReportRow } from './report.js';
import { checkToolsList, sendText, type PreparedRequest } from './rpc.js';
import { TOOLS_PER_TEMPLATE, type BenchTenant } from './seed.js';

export async function measureCold(
  mf: Miniflare,
  db: Db,
  tenant: BenchTenant,
  row: { size: number; warm: ReportRow; req: PreparedRequest; samples: number; pattern: RegExp },
): Promise<ColdRow> {
  const expected = row.size * TOOLS_PER_TEMPLATE;
  const timesMs: number[] = [];
  for (let i = 0; i < row.samples; i++) {
    await bumpCatalogVersion(db, tenant);
    const start = performance.now();
    const text = await sendText(mf, row.req);
    timesMs.push(performance.now() - start);
    checkToolsList(text, row.pattern, expected);
  }
  return {
    label: `tools/list ${row.size} × ${TOOLS_PER_TEMPLATE} (cold)`,
    tools: row.warm.tools ?? 0,
    timesMs,
    warmP50Ms: row.warm.fetch.p50Ms,
  };
}
