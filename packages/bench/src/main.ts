/**
 * `pnpm bench`: tools/list and tools/call of the built main worker under Miniflare, next to a Worker that does one D1
 * SELECT, in the same workerd process and with the same sequential client loop; a provider tool call through the real
 * integrations worker; a SessionDispatch delivery to the main worker; webhook ingest; the bundles' sizes and startup
 * CPU. Every row is measured twice: over plain HTTP reading the bytes as sent (the worker's latency, what the target
 * is stated in) and through Node's fetch with the body decoded (what a Node MCP client pays). Prints p50, p95, workerd
 * CPU per request and the ratios to the baseline, the cold (cache-miss) figures, and whether the issue's target holds:
 * "at 100 installations × 10 tools, tools/list p50 within 2× of a Worker that does one D1 SELECT".
 *
 * A benchmark reports; it does not assert performance. The process exits non-zero only on errors: a response that
 * is not a valid JSON-RPC result, a wrong tool count, a tool error, an upstream request a fake refused, a
 * SessionDispatch the main worker did not append.
 */
import { cpus } from 'node:os';
import {
  createDb,
  setRunHistoryRetention,
  updateWorkspaceSettings,
  type Db,
} from '@gatehouse/integrations-adapters-cf';
import { createCredentialsCipher } from '@gatehouse/integrations-core';
import { BASELINE_INGEST_TABLE_SQL } from './baseline-worker.js';
import {
  BASELINE_ORIGIN,
  BASELINE_WEBHOOK_SECRET,
  INTEGRATIONS_ORIGIN,
  MCP_ORIGIN,
  startBenchStack,
  type BenchStack,
} from './bench-stack.js';
import { startModelFake, type ModelFakeServer } from '@gatehouse/model-fake/node';
import { measureAgentSteps, renderAgentSteps } from './agent-steps.js';
import { measureCold } from './cold.js';
import { KNOWLEDGE_QUERY, checkKnowledgeResult, seedKnowledgeTenants } from './knowledge.js';
import { measureDispatch } from './dispatch-rows.js';
import { compareIngest, githubDeliveries, renderIngest } from './ingest.js';
import { LOOPBACK_ISSUE_TITLE, startLoopbackGithub, type LoopbackGithub } from './loopback-github.js';
import { startLoopbackUpstream, type LoopbackUpstream } from './loopback-upstream.js';
import type { SamplePlan } from './measure.js';
import {
  BenchCheckError,
  checkGetIssueResult,
  checkGithubIssueResult,
  checkToolsList,
  entryConnection,
  checkModernResult,
  jsonRpcRequest,
  jsonRpcResult,
  modernRequest,
  sendText,
  withSession,
  type PreparedRequest,
} from './rpc.js';
import {
  renderColdTable,
  renderMainTable,
  renderOver,
  renderRecordingCost,
  renderPerToolSlope,
  renderKnowledgeTarget,
  renderTarget,
  type ColdRow,
  type ReportRow,
} from './report.js';
import {
  TOOLS_PER_TEMPLATE,
  seedGithubInstallation,
  seedJiraInstallation,
  seedSyntheticCatalog,
  seedTenant,
  type BenchTenant,
} from './seed.js';
import { measureStartup, renderStartup, type StartupResult } from './startup.js';
import { workerdCpuProbe } from './workerd-cpu.js';
import { measureRowWith, type Ctx } from './row.js';
import { searchCorpusTemplate } from './search-corpus.js';
import { measureSearchMode, renderSearchMode } from './search-mode.js';

/**
 * `--smoke` (the package's test): every row once with a handful of samples and two catalog sizes, so a change that
 * breaks the bench (a binding it lacks, a response it no longer validates) fails CI. Its figures mean nothing.
 */
const SMOKE = process.argv.includes('--smoke');
/** Installation counts measured (each × 10 tools, each in its own organization). */
const SIZES: readonly number[] = SMOKE ? [1, 100] : [1, 10, 100, 500];
/** The issue's target: tools/list p50 at TARGET_SIZE × 10 within TARGET_RATIO × the one-SELECT worker's p50. */
const TARGET_SIZE = 100;
const TARGET_RATIO = 2;
const PLAN: SamplePlan = SMOKE ? { warmup: 2, samples: 5 } : { warmup: 50, samples: 300 };
/** Cold requests per catalog size (each after its own catalog_version bump). */
const COLD_SAMPLES = SMOKE ? 1 : 5;
const ISSUE_KEY = 'BENCH-1';
/** The GitHub issue the provider tool call reads, and the thread every dispatch of the dispatch row goes to. */
const GITHUB_REPOSITORY = 'octo-org/hello-world';
const GITHUB_ISSUE = 1347;
/** Fresh workerd processes per worker for the startup CPU figure (their median). */
const STARTUP_INSTANCES = SMOKE ? 1 : 5;
/** Webhook ingest: alternating rounds of deliveries per side (after a warmup), at INGEST_CONCURRENCY; the target. */
const INGEST_ROUNDS = SMOKE ? 1 : 7;
const INGEST_PER_ROUND = SMOKE ? 20 : 600;
const INGEST_WARMUP = SMOKE ? 5 : 300;
const INGEST_CONCURRENCY = 10;
const INGEST_TARGET = 0.8;
/** Issue 14: recording the run history adds less than this to the tools/call p50. */
const RECORDING_TARGET = 0.1;
/** Alternating off/on rounds of the run-history comparison (smoke: 1). */
const RECORDING_ROUNDS = SMOKE ? 1 : 5;
/** Knowledge search rows: chunks indexed per row's workspace; the issue's target at the largest (p50 ≤ 2× baseline). */
const KNOWLEDGE_SIZES: readonly number[] = SMOKE ? [1_000] : [1_000, 10_000];
const KNOWLEDGE_TARGET_RATIO = 2;
/** Agent runs of the agent-step row (each 9 steps). */
const AGENT_RUNS = SMOKE ? 1 : 20;
/** Names of the synthetic integration tools (see seed.ts `syntheticToolName`). */
const SYNTHETIC_TOOL = /^svc\d{4}_op\d$/;

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
/** One row, sampled with this run's PLAN (row.ts). */
const measureRow = (ctx: Ctx, label: string, req: PreparedRequest, check: (text: string) => number | null) =>
  measureRowWith(ctx, label, req, check, PLAN, progress);

/**
 * The loopback fakes the workers call: Jira Cloud (the jira-cloud template), GitHub (the github provider) and the
 * scripted model of the agent-step row.
 */
interface Fakes {
  jira: LoopbackUpstream;
  github: LoopbackGithub;
  models: ModelFakeServer;
}

/** What the seed made that the rows use. */
interface Seeded {
  tenants: Map<number, BenchTenant>;
  callTenant: BenchTenant;
  /** The GitHub installation (in callTenant) of the provider tool call, webhook ingest and dispatch rows. */
  githubInstallationId: string;
  /** A search-mode workspace of SIZES.at(-1) search-corpus installations (search-corpus.ts). */
  searchCorpus: BenchTenant;
  /** A tenant per knowledge corpus size (chunks → tenant). */
  knowledge: Map<number, BenchTenant>;
  webhookSecret: string;
}

async function run(
  stack: BenchStack,
  fakes: Fakes,
  credentials: { jira: Record<string, string>; githubToken: string },
  startup: StartupResult,
): Promise<void> {
  const db = createDb(stack.d1);
  const cipher = createCredentialsCipher(stack.secrets.credentialsKeys, stack.secrets.activeKid);
  const seedStart = performance.now();
  const callTenant = await seedTenant(db, 'bench-call');
  await seedJiraInstallation(db, callTenant, fakes.jira.url, await cipher.encrypt(credentials.jira));
  const syntheticCredentials = await cipher.encrypt({ api_token: 'not-used-by-tools-list' });
  const tenants = new Map<number, BenchTenant>();
  for (const size of SIZES) {
    const tenant = await seedTenant(db, `bench-n${size}`);
    await seedSyntheticCatalog(db, tenant, size, syntheticCredentials);
    // These rows measure the full list; `auto` would switch the larger catalogs to search mode (search-mode.ts).
    await updateWorkspaceSettings(db, tenant, { toolDiscovery: 'list' });
    tenants.set(size, tenant);
  }
  const searchCorpus = await seedTenant(db, 'bench-search');
  await seedSyntheticCatalog(db, searchCorpus, SIZES.at(-1)!, syntheticCredentials, searchCorpusTemplate);
  await updateWorkspaceSettings(db, searchCorpus, { toolDiscovery: 'search' });
  progress(`seeded ${SIZES.join(', ')} installations in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  // One GitHub installation (credential paste) for the provider tool call (token, api_url → the loopback GitHub), the
  // webhook ingest rows (webhook secret) and the dispatch row (its sessions).
  const webhookSecret = 'bench-github-webhook-secret';
  const githubInstallationId = await seedGithubInstallation(
    db,
    callTenant,
    fakes.github.url,
    await cipher.encrypt({ webhook_secret: webhookSecret, token: credentials.githubToken }),
  );
  await stack.d1.prepare(BASELINE_INGEST_TABLE_SQL).run();
  const knowledge = await seedKnowledgeTenants(db, KNOWLEDGE_SIZES, (slug) => seedTenant(db, slug), progress);

  const cpu = workerdCpuProbe();
  const conn = entryConnection(await stack.mf.ready);
  const ctx: Ctx = { mf: stack.mf, conn, cpu };
  try {
    const seeded = { tenants, callTenant, githubInstallationId, webhookSecret, knowledge, searchCorpus };
    await measureAll(ctx, db, fakes, seeded, startup);
  } finally {
    conn.agent.destroy();
  }
}

async function measureAll(ctx: Ctx, db: Db, fakes: Fakes, seeded: Seeded, startup: StartupResult): Promise<void> {
  const { mf, cpu } = ctx;
  const { tenants, callTenant } = seeded;
  const checkBaseline = (text: string) => {
    if (typeof jsonRpcResult(text).token !== 'object')
      throw new BenchCheckError('baseline answered without the token row');
    return null;
  };
  const baselineReq = jsonRpcRequest(`${BASELINE_ORIGIN}/`, callTenant.token, 'tools/list');
  const baseline = await measureRow(ctx, 'baseline: one D1 SELECT', baselineReq, checkBaseline);
  const rawFetch = await measureRow(
    ctx,
    'baseline: one fetch to loopback upstream',
    { url: `${BASELINE_ORIGIN}/upstream`, init: { method: 'GET', headers: {} } },
    (text) => {
      if ((JSON.parse(text) as { key?: unknown }).key !== ISSUE_KEY)
        throw new BenchCheckError('baseline upstream fetch returned the wrong issue');
      return null;
    },
  );

  const listRows = new Map<number, ReportRow>();
  const coldRows: ColdRow[] = [];
  for (const size of SIZES) {
    const tenant = tenants.get(size)!;
    const expected = size * TOOLS_PER_TEMPLATE;
    const req = await withSession(mf, jsonRpcRequest(`${MCP_ORIGIN}/mcp`, tenant.token, 'tools/list'));
    const row = await measureRow(ctx, `tools/list ${size} × ${TOOLS_PER_TEMPLATE} (warm)`, req, (text) =>
      checkToolsList(text, SYNTHETIC_TOOL, expected),
    );
    listRows.set(size, row);
    coldRows.push(
      await measureCold(ctx.mf, db, tenant, { size, warm: row, req, samples: COLD_SAMPLES, pattern: SYNTHETIC_TOOL }),
    );
  }
  // The largest catalog in search mode: its list's size in tokens and a search_tools call (issue 19 §1).
  const largest = SIZES.at(-1)!;
  const searchMode = await measureSearchMode(
    mf,
    db,
    tenants.get(largest)!,
    seeded.searchCorpus,
    largest,
    (label, req, check) => measureRow(ctx, label, req, check),
  );
  // The same list asked by a 2026-07-28 client: no session, the envelope in _meta (issue 16: beside the legacy row).
  const modernListReq = modernRequest(`${MCP_ORIGIN}/mcp`, tenants.get(TARGET_SIZE)!.token, 'tools/list');
  const modernList = await measureRow(
    ctx,
    `tools/list ${TARGET_SIZE} × ${TOOLS_PER_TEMPLATE} (warm, 2026-07-28)`,
    modernListReq,
    (text) => {
      checkModernResult(text);
      return checkToolsList(text, SYNTHETIC_TOOL, TARGET_SIZE * TOOLS_PER_TEMPLATE);
    },
  );
  // The floor at the target size: the baseline's one SELECT answering the very same tools/list JSON, cached.
  const targetText = await sendText(
    mf,
    await withSession(mf, jsonRpcRequest(`${MCP_ORIGIN}/mcp`, tenants.get(TARGET_SIZE)!.token, 'tools/list')),
  );
  const stored = await mf.dispatchFetch(`${BASELINE_ORIGIN}/body`, { method: 'PUT', body: targetText });
  if (stored.status !== 204) throw new BenchCheckError(`baseline PUT /body: HTTP ${stored.status}`);
  const floorReq = jsonRpcRequest(`${BASELINE_ORIGIN}/?body=1`, callTenant.token, 'tools/list');
  const floor = await measureRow(
    ctx,
    `baseline: one D1 SELECT + the same ${(Buffer.byteLength(targetText) / 1024).toFixed(0)} KB list`,
    floorReq,
    (text) => checkToolsList(text, SYNTHETIC_TOOL, TARGET_SIZE * TOOLS_PER_TEMPLATE),
  );

  // BENCH_RUN_HISTORY=off: every row but the recording rounds runs with the organization's history off, to compare
  // the call paths with a build from before the run history (the rounds still measure both).
  const historyOff = process.env.BENCH_RUN_HISTORY === 'off';
  if (historyOff) await setRunHistoryRetention(db, callTenant, 0);
  const callReq = await withSession(
    mf,
    jsonRpcRequest(`${MCP_ORIGIN}/mcp`, callTenant.token, 'tools/call', {
      name: 'get_issue',
      arguments: { issue_key: ISSUE_KEY },
    }),
  );
  const call = await measureRow(ctx, 'tools/call get_issue → loopback', callReq, (text) => {
    checkGetIssueResult(text, ISSUE_KEY);
    return null;
  });
  const modernCallReq = modernRequest(`${MCP_ORIGIN}/mcp`, callTenant.token, 'tools/call', {
    name: 'get_issue',
    arguments: { issue_key: ISSUE_KEY },
  });
  const modernCall = await measureRow(ctx, 'tools/call get_issue → loopback (2026-07-28)', modernCallReq, (text) => {
    checkModernResult(text);
    checkGetIssueResult(text, ISSUE_KEY);
    return null;
  });
  // The same call with the organization's run history off (retention 0) and on, in alternating rounds: recording is
  // written after the answer (waitUntil, behind), so its cost is what it takes from the requests around it. Each
  // side's figure is the round with its median p50 (the rounds are printed); the first row above, measured first of
  // all the calls, is not compared (it pays for warming the call path).
  const countCallItems = async () => {
    await new Promise((r) => setTimeout(r, 100)); // the write-behind window
    return (await db.$client
      .prepare("select count(*) as n from run_history_items where organization_id = ? and tool = 'get_issue'")
      .bind(callTenant.organizationId)
      .first<{ n: number }>())!.n;
  };
  if (!historyOff && (await countCallItems()) === 0)
    throw new BenchCheckError('tools/call get_issue recorded no run-history item');
  const rounds: { on: ReportRow[]; off: ReportRow[] } = { on: [], off: [] };
  for (let round = 1; round <= RECORDING_ROUNDS; round++) {
    await setRunHistoryRetention(db, callTenant, 0);
    const beforeOff = await countCallItems();
    rounds.off.push(
      await measureRow(ctx, `tools/call get_issue, run history off (round ${round})`, callReq, (text) => {
        checkGetIssueResult(text, ISSUE_KEY);
        return null;
      }),
    );
    if ((await countCallItems()) !== beforeOff) throw new BenchCheckError('run history off still recorded tool calls');
    await setRunHistoryRetention(db, callTenant, 30);
    const beforeOn = await countCallItems();
    rounds.on.push(
      await measureRow(ctx, `tools/call get_issue, run history on (round ${round})`, callReq, (text) => {
        checkGetIssueResult(text, ISSUE_KEY);
        return null;
      }),
    );
    if ((await countCallItems()) <= beforeOn) throw new BenchCheckError('run history on recorded no tool call');
  }
  const medianRow = (rows: ReportRow[]) => [...rows].sort((a, b) => a.http.p50Ms - b.http.p50Ms)[rows.length >> 1]!;
  if (historyOff) await setRunHistoryRetention(db, callTenant, 0);
  const callOff = medianRow(rounds.off);
  const callOn = medianRow(rounds.on);
  // A provider tool: main worker → INTEGRATIONS binding → the integrations worker's GitHub provider → loopback GitHub.
  // The validation request also fills the main worker's per-isolate provider registry (GET /v1/integrations).
  const providerReq = await withSession(
    mf,
    jsonRpcRequest(`${MCP_ORIGIN}/mcp`, callTenant.token, 'tools/call', {
      name: 'mcp_github_get_issue',
      arguments: { repository: GITHUB_REPOSITORY, number: GITHUB_ISSUE },
    }),
  );
  const providerCall = await measureRow(ctx, 'tools/call mcp_github_get_issue → loopback', providerReq, (text) => {
    checkGithubIssueResult(text, GITHUB_ISSUE, LOOPBACK_ISSUE_TITLE);
    return null;
  });
  const [dispatchFloor, dispatch] = await measureDispatch(
    db,
    PLAN,
    (label, req, check) => measureRow(ctx, label, req, check),
    {
      organizationId: callTenant.organizationId,
      workspaceId: null,
      installationId: seeded.githubInstallationId,
      threadKey: `${GITHUB_REPOSITORY}#${GITHUB_ISSUE}`,
    },
  );
  // Knowledge search at two corpus sizes (each its own workspace), against the same baseline.
  const knowledgeRows: ReportRow[] = [];
  for (const [chunks, tenant] of seeded.knowledge) {
    const req = await withSession(
      mf,
      jsonRpcRequest(`${MCP_ORIGIN}/mcp`, tenant.token, 'tools/call', {
        name: 'search_knowledge',
        arguments: { query: KNOWLEDGE_QUERY, limit: 10 },
      }),
    );
    knowledgeRows.push(
      await measureRow(ctx, `tools/call search_knowledge, ${chunks} chunks`, req, checkKnowledgeResult),
    );
  }
  progress('measuring agent steps');
  const agentSteps = await measureAgentSteps(mf, db, callTenant, fakes.models, AGENT_RUNS);
  // Measured again last: how far the yardstick drifted during the run.
  const baselineAgain = await measureRow(ctx, 'baseline: one D1 SELECT (again, last)', baselineReq, checkBaseline);
  for (const [name, fake] of [
    ['loopback upstream (Jira)', fakes.jira],
    ['loopback GitHub', fakes.github],
  ] as const)
    if (fake.rejected() > 0) throw new BenchCheckError(`the ${name} refused ${fake.rejected()} request(s)`);

  const rows = [
    baseline,
    rawFetch,
    ...SIZES.map((s) => listRows.get(s)!),
    searchMode.list,
    searchMode.search,
    searchMode.worstCase,
    modernList,
    floor,
    call,
    modernCall,
    callOff,
    callOn,
    providerCall,
    dispatchFloor,
    dispatch,
    ...knowledgeRows,
    baselineAgain,
  ];

  // Webhook ingest, baseline first and last (drift), each delivery unique so every insert succeeds.
  progress('measuring webhook ingest');
  const origin = ctx.conn.origin;
  const webhookUrl = `${INTEGRATIONS_ORIGIN}/webhook/github/${seeded.githubInstallationId}`;
  const baselineUrl = `${BASELINE_ORIGIN}/ingest`;
  let offset = 0;
  const batch = async (url: string, secret: string, n: number) => {
    const list = await githubDeliveries(url, secret, n, offset);
    offset += n;
    return list;
  };
  const [ingestBaseline, ingestGateway] = await compareIngest(
    origin,
    [
      {
        label: 'baseline: HMAC verify + one D1 insert + Queue.send',
        deliveries: (n) => batch(baselineUrl, BASELINE_WEBHOOK_SECRET, n),
      },
      {
        label: 'POST /webhook/github (route, verify, dedupe, enqueue)',
        deliveries: (n) => batch(webhookUrl, seeded.webhookSecret, n),
      },
    ],
    INGEST_ROUNDS,
    INGEST_PER_ROUND,
    INGEST_WARMUP,
    INGEST_CONCURRENCY,
  );
  const recorded = await db.$client
    .prepare('SELECT count(*) AS n FROM webhook_events WHERE installation_id = ?')
    .bind(seeded.githubInstallationId)
    .first<{ n: number }>();
  const expectedRecords = INGEST_WARMUP + INGEST_ROUNDS * INGEST_PER_ROUND;
  if (recorded?.n !== expectedRecords)
    throw new BenchCheckError(`webhook ingest recorded ${recorded?.n} deliveries, expected ${expectedRecords}`);
  const target = listRows.get(TARGET_SIZE)!;
  const out = [
    '',
    `Gatehouse bench: apps/mcp/dist under Miniflare (workerd), ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, Node ${process.version}`,
    `Sequential requests, ${PLAN.warmup} warmup + ${PLAN.samples} timed samples per row, each way: over HTTP/1.1 keep-alive to workerd's entry socket, body read to the end as sent (gzip stays gzip), as HTTP load generators measure a server;`,
    `and through Miniflare#dispatchFetch (Node's fetch, undici), body decoded, as a Node MCP client reads it ("fetch" columns). The target is on the HTTP p50.`,
    `tools/list rows: N organization templates × ${TOOLS_PER_TEMPLATE} distinct tool names, one Global installation each, so the list grows to N × ${TOOLS_PER_TEMPLATE} integration tools (+ the core tools).`,
    `Warm = per-isolate toolset cache hit (steady state). workerd CPU = workerd process CPU per request (process-wide: includes D1/SQLite and Miniflare's entry worker; /proc ${cpu ? `${cpu.source}, pid ${cpu.pid}` : 'unavailable'}).`,
    'fetch client CPU = this Node process per request in the fetch loop (undici decoding and reading the body; for tools/call and the raw fetch also the loopback upstream).',
    '',
    renderMainTable(rows, baseline),
    '',
    renderColdTable(coldRows),
    '',
    renderPerToolSlope(target, listRows.get(SIZES.at(-1)!)!),
    `no-gateway floor at ${TARGET_SIZE} × ${TOOLS_PER_TEMPLATE}: the one-SELECT worker answering the same list JSON (cached; compressed per request by the edge) = ${(floor.http.p50Ms / baseline.http.p50Ms).toFixed(2)}× its p50 over HTTP (${floor.http.p50Ms.toFixed(3)} ms), ${(floor.fetch.p50Ms / baseline.fetch.p50Ms).toFixed(2)}× in fetch`,
    `tools/call p50 = ${(call.http.p50Ms / rawFetch.http.p50Ms).toFixed(2)}× a raw fetch of the same upstream from a Worker over HTTP (${call.http.p50Ms.toFixed(3)} ms vs ${rawFetch.http.p50Ms.toFixed(3)} ms)`,
    renderOver(providerCall, call, 'the template tools/call (main worker alone)'),
    renderRecordingCost(rounds.on, rounds.off, RECORDING_TARGET),
    renderOver(dispatch, dispatchFloor, "the driver's floor"),
    renderAgentSteps(agentSteps, baseline.http.p50Ms),
    renderKnowledgeTarget(knowledgeRows.at(-1)!, baseline, KNOWLEDGE_TARGET_RATIO),
    renderSearchMode(searchMode, baseline),
    renderTarget(target, baseline, TARGET_RATIO),
    '',
    renderIngest(ingestBaseline!, ingestGateway!, INGEST_CONCURRENCY, INGEST_TARGET),
    '',
    renderStartup(startup),
    ...(SMOKE ? ['smoke run (--smoke): every check passed; the figures above are not measurements.'] : []),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

async function main(): Promise<void> {
  // Before the bench stack starts, so each fresh workerd runs alone (startup.ts).
  progress(`measuring bundle sizes and startup CPU (${STARTUP_INSTANCES} fresh workerd per worker)`);
  const startup = await measureStartup(STARTUP_INSTANCES);
  const jira = { email: 'bench@example.com', api_token: 'bench-api-token' };
  const githubToken = 'github_pat_bench';
  const upstream = await startLoopbackUpstream({ email: jira.email, apiToken: jira.api_token });
  let github: LoopbackGithub | undefined;
  let models: ModelFakeServer | undefined;
  let stack: BenchStack | undefined;
  try {
    github = await startLoopbackGithub(githubToken);
    models = await startModelFake();
    stack = await startBenchStack({
      issueUrl: `${upstream.url}/rest/api/3/issue/${ISSUE_KEY}?fields=summary,status,issuetype,priority,assignee`,
      authorization: upstream.authorization,
    });
    await run(stack, { jira: upstream, github, models }, { jira, githubToken }, startup);
  } finally {
    await stack?.dispose();
    await models?.close();
    await github?.close();
    await upstream.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof BenchCheckError ? `bench: ${err.message}` : err);
  process.exitCode = 1;
});
