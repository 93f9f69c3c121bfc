// npm run fuzz -- [--per-target N] [--seed S] [--targets a,b] [--jobs J] [--time-limit MS] [--memory-limit MB]
//                 [--slow-ms MS] [--save DIR]
// npm run fuzz -- --repro TARGET:INDEX [--seed S]    (one case in this process, with its stack)
// The seeded mutation fuzzer over every file reader (test/fuzz/): prints the outcome counts per reader and
// exits 1 if any case was untyped, hung, crashed, went over the memory limit or ran a program. --save writes
// each failing mutant to DIR as <target>-s<seed>-<index>.<ext>, ready to become a regression file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { caseRandom } from '../test/fuzz/mutate';
import { FAILURES, OUTCOMES, runFuzz, type CaseResult } from '../test/fuzz/runner';
import { target, TARGETS } from '../test/fuzz/targets';

const { values } = parseArgs({
  options: {
    'per-target': { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    targets: { type: 'string', default: TARGETS.map((t) => t.name).join(',') },
    jobs: { type: 'string', default: '2' },
    'time-limit': { type: 'string', default: '10000' },
    'slow-ms': { type: 'string', default: '5000' },
    repro: { type: 'string' },
    'memory-limit': { type: 'string', default: '1024' },
    save: { type: 'string' },
  },
});
const num = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a whole number, got ${values[name]}`);
  return v;
};

const seed = num('seed');
if (values.repro) {
  const [name, index] = values.repro.split(':');
  const t = target(name);
  const mutant = await t.mutate(caseRandom(seed, name, Number(index)));
  console.log(`${name} seed ${seed} case ${index}: ${mutant.tag}, ${mutant.bytes.length} bytes`);
  const t0 = performance.now();
  try {
    await t.run(mutant.bytes);
    console.log('accepted');
  } catch (e) {
    console.log((e as Error).stack ?? String(e));
  }
  console.log(`${(performance.now() - t0).toFixed(0)} ms, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
  process.exit(0);
}
const targets = values.targets!.split(',').map((n) => target(n.trim()).name);
const failures: CaseResult[] = [];
const started = performance.now();
let done = 0;
const total = targets.length * num('per-target');
const summaries = await runFuzz({
  targets,
  perTarget: num('per-target'),
  seed,
  jobs: num('jobs'),
  timeLimitMs: num('time-limit'),
  memoryLimitMb: num('memory-limit'),
  slowMs: num('slow-ms'),
  onResult: (r) => {
    if (FAILURES.includes(r.outcome)) {
      failures.push(r);
      console.error(`${r.outcome} ${r.target} seed ${r.seed} case ${r.index} (${r.tag}): ${r.detail}`);
    } else if (r.ms > num('slow-ms'))
      console.error(`slow ${r.target} seed ${r.seed} case ${r.index} (${r.tag}): ${r.ms.toFixed(0)} ms, ${r.detail}`);
    if (++done % 1000 === 0)
      console.error(`${done}/${total} cases, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  },
});

const header = ['target', ...OUTCOMES, `over ${num('slow-ms')} ms`, 'max ms', 'max RSS MB'];
console.log(header.join('\t'));
for (const [name, s] of summaries)
  console.log(
    [name, ...OUTCOMES.map((o) => s.counts[o]), s.slow, s.maxMs.toFixed(0), s.maxRssMb.toFixed(0)].join('\t'),
  );
console.log(
  `seed ${seed}, ${total} cases in ${((performance.now() - started) / 1000).toFixed(0)} s: ${failures.length} failures`,
);

if (values.save && failures.length) {
  mkdirSync(values.save, { recursive: true });
  for (const f of failures) {
    const t = target(f.target);
    const { bytes } = await t.mutate(caseRandom(f.seed, f.target, f.index));
    const file = join(values.save, `${f.target}-s${f.seed}-${f.index}.${t.ext}`);
    writeFileSync(file, bytes);
    console.error(`saved ${file}`);
  }
}
process.exitCode = failures.length ? 1 : 0;
