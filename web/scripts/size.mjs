#!/usr/bin/env node
// Reports the gzip size of the JavaScript the catalog page (/) loads first — the entry chunk and
// its static imports from Vite's manifest; lazy chunks (admin console, charts) are listed apart.
// Exits non-zero above the budget. Run after `npm run build`.
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = Number(process.env.SIZE_BUDGET_KB ?? 300);
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const manifestPath = join(dist, '.vite', 'manifest.json');
if (!existsSync(manifestPath)) {
  console.error('dist/.vite/manifest.json not found: run `npm run build` first.');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const entry = Object.entries(manifest).find(([, c]) => c.isEntry);
if (!entry) {
  console.error('no entry chunk in the manifest');
  process.exit(2);
}

const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const initial = new Set();
const lazy = new Set();
const walk = (key) => {
  const chunk = manifest[key];
  if (!chunk || initial.has(chunk.file)) return;
  initial.add(chunk.file);
  for (const imp of chunk.imports ?? []) walk(imp);
  for (const dyn of chunk.dynamicImports ?? []) lazy.add(dyn);
};
walk(entry[0]);

let total = 0;
console.log('First-load JavaScript of the catalog page (gzip -9):');
for (const file of initial) {
  const size = gz(file);
  total += size;
  console.log(`  ${file.padEnd(40)} ${kb(size).padStart(10)}`);
}
const css = [...new Set(Object.values(manifest).filter((c) => initial.has(c.file)).flatMap((c) => c.css ?? []))];
const lazyFiles = [...lazy].map((k) => manifest[k]?.file).filter((f) => f && !initial.has(f));
if (lazyFiles.length) {
  console.log('Loaded on demand (not counted):');
  for (const f of lazyFiles) console.log(`  ${f.padEnd(40)} ${kb(gz(f)).padStart(10)}`);
}
for (const f of css) console.log(`CSS ${f}: ${kb(gz(f))} gzip (not counted)`);
console.log(`Total first-load JS: ${kb(total)} gzip (budget ${BUDGET_KB} KB)`);
if (total > BUDGET_KB * 1024) {
  console.error(`FAIL: over the ${BUDGET_KB} KB budget`);
  process.exit(1);
}
console.log('OK: within budget');
