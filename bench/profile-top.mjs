// The heaviest functions and packages of a V8 .cpuprofile (from `npm run bench -- --profile`):
//
//   node bench/profile-top.mjs bench/profiles/riser-….cpuprofile [--top 30]
//
// Self time is where samples landed; "by package" adds self time up per node_modules package
// (or "riser" for dist/, "node" for Node's internals, "(gc)", "(program)", "(idle)").
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const top = Number(args[args.indexOf('--top') + 1]) || 30;
if (!file) {
  process.stderr.write('usage: node bench/profile-top.mjs <file.cpuprofile> [--top N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
// Time per sample: the deltas, in µs.
const deltas = profile.timeDeltas ?? [];
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
}

function where(frame) {
  const url = frame.url ?? '';
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : 'node';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/dist/')) return 'riser';
  if (url.includes('/bench/')) return 'bench';
  return url;
}

const fns = new Map();
const pkgs = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  total += us;
  const url = callFrame.url ?? '';
  const short = url.includes('node_modules/') ? url.replace(/^.*node_modules\//, '') : url.replace(/^.*\/(dist|bench)\//, '$1/');
  const key = `${callFrame.functionName || '(anonymous)'}  ${short}:${callFrame.lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  const pkg = where(callFrame);
  pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
}

const show = (title, map, n) => {
  process.stdout.write(`\n${title} (total ${(total / 1000).toFixed(0)} ms)\n`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms ${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}\n`);
  }
};
show('self time by package', pkgs, 20);
show('self time by function', fns, top);
