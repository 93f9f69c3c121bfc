// The CI fuzz suite: FUZZ_PER_TARGET mutants (default 1000) of every reader under FUZZ_SEED (default 1), each in
// a worker process with a 10 s limit and a 1 GB RSS guard. Every case must be accepted or end in a typed error.
// For depth: npm run fuzz -- --per-target 10000 --seed N.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { FAILURES, runFuzz, type CaseResult } from './runner';
import { TARGETS } from './targets';

const PER_TARGET = Number(process.env.FUZZ_PER_TARGET ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);

describe('fuzzing every reader', () => {
  it(`${PER_TARGET} mutants per reader, seed ${SEED}: accepted or typed, never untyped, hung, crashed, over memory or executing`, async () => {
    const failures: CaseResult[] = [];
    const summaries = await runFuzz({
      targets: TARGETS.map((t) => t.name),
      perTarget: PER_TARGET,
      seed: SEED,
      jobs: Math.min(4, availableParallelism()),
      onResult: (r) => {
        if (FAILURES.includes(r.outcome)) failures.push(r);
      },
    });
    const lines = failures.map(
      (f) =>
        `${f.outcome} ${f.target} case ${f.index} (npm run fuzz -- --repro ${f.target}:${f.index} --seed ${SEED}): ${f.detail}`,
    );
    expect(lines).toEqual([]);
    for (const [name, s] of summaries) expect(s.counts.accepted + s.counts.typed, name).toBe(PER_TARGET);
  }, 1_200_000);
});
