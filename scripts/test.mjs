#!/usr/bin/env node
// `pnpm test`: typecheck, lint (Biome's formatter and linter over the tree, and each package's import rules) and test
// every workspace package through turbo, then print one closing line,
// "N passed, M failed", summed from each vitest run's "Tests" line, so CI and people see the total at a glance.
import { spawn } from 'node:child_process';

const child = spawn(
  'turbo',
  ['run', 'typecheck', 'typecheck:scripts', 'lint', 'lint:biome', 'test', '--concurrency=1', ...process.argv.slice(2)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', FORCE_COLOR: process.env.FORCE_COLOR ?? '0' },
  },
);
let passed = 0;
let failed = 0;
let skipped = 0;
let buffer = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffer += chunk.toString();
  const lines = buffer.split('\n');
  buffer = lines.pop() ?? '';
  for (const raw of lines) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes (ESC [ … m).
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
    const m = /^\S*:?\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line.replace(/^[^:]+:test:\s*/, ''));
    if (!m) continue;
    passed += Number(/(\d+) passed/.exec(m[1])?.[1] ?? 0);
    failed += Number(/(\d+) failed/.exec(m[1])?.[1] ?? 0);
    skipped += Number(/(\d+) skipped/.exec(m[1])?.[1] ?? 0);
  }
});
child.on('exit', (code) => {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code ?? 1);
});
