#!/usr/bin/env node
// Architecture lint: fails when a source file imports a forbidden module or reaches into another package's src/.
// Usage: node scripts/lint-imports.mjs <dir> [--forbid a,b,c]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [dir, flag, list] = process.argv.slice(2);
const forbidden = flag === '--forbid' && list ? list.split(',') : [];
const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];

function walk(path) {
  for (const name of readdirSync(path)) {
    const full = join(path, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (/\.(ts|mts|tsx)$/.test(name)) check(full);
  }
}

function check(file) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (forbidden.some((f) => spec === f || spec.startsWith(f.endsWith(':') || f.endsWith('/') ? f : `${f}/`)))
      problems.push(`${file}: imports ${spec} (forbidden here)`);
    if (/^@gatehouse\/[^/]+\/src\//.test(spec) || /\.\.\/.*packages\/[^/]+\/src\//.test(spec))
      problems.push(`${file}: imports another package's src/ (${spec}); use its exports map`);
  }
}

walk(dir);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
