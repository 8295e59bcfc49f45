/**
 * The dispatch rows: the driver's floor (the dispatch built, not sent), then each request a SessionDispatch signed
 * and delivered to the main worker for one fixed thread. Checks afterwards that every dispatch sent was appended once.
 */
import type { Db } from '@gatehouse/integrations-adapters-cf';
import { DISPATCH_ORIGIN, type DispatchTarget } from './dispatch-driver.js';
import type { SamplePlan } from './measure.js';
import type { ReportRow } from './report.js';
import { BenchCheckError, type PreparedRequest } from './rpc.js';

/** Measures both rows with `measureRow` (the run's sampler, sampling with `plan`); throws on a lost dispatch. */
export async function measureDispatch(
  db: Db,
  plan: SamplePlan,
  measureRow: (label: string, req: PreparedRequest, check: (text: string) => number | null) => Promise<ReportRow>,
  target: DispatchTarget,
): Promise<[ReportRow, ReportRow]> {
  const request = (path: string): PreparedRequest => ({
    url: `${DISPATCH_ORIGIN}${path}`,
    init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(target) },
  });
  const floor = await measureRow('baseline: dispatch driver, no call to main', request('/floor'), (text) => {
    if ((JSON.parse(text) as { ok?: unknown }).ok !== true) throw new BenchCheckError('dispatch floor: not ok');
    return null;
  });
  const dispatch = await measureRow('SessionDispatch → main (verify + append)', request('/dispatch'), (text) => {
    const answer = JSON.parse(text) as { sessionId?: unknown; appended?: unknown };
    if (answer.appended !== true || typeof answer.sessionId !== 'string')
      throw new BenchCheckError(`SessionDispatch: the main worker answered ${text.slice(0, 200)}`);
    return null;
  });
  // measureRow sends twice before its batches (validation, wire size), then warmup + samples each way.
  const sent = 2 + 2 * (plan.warmup + plan.samples);
  const appended = await db.$client
    .prepare(
      'SELECT count(*) AS n FROM session_events e JOIN sessions s ON s.id = e.session_id ' +
        'WHERE s.organization_id = ? AND s.provider = ? AND s.thread_key = ?',
    )
    .bind(target.organizationId, 'github', target.threadKey)
    .first<{ n: number }>();
  if (appended?.n !== sent)
    throw new BenchCheckError(`SessionDispatch: ${appended?.n} events appended to the thread, ${sent} dispatches sent`);
  return [floor, dispatch];
}
