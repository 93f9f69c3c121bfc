// One fuzz worker process: receives (target, seed, index) from the runner, rebuilds that mutant, reads it and
// answers with its outcome. Anything that would run a program is replaced by a tripwire first, so a pickle
// that managed to call one would be seen (it never has: the reader keeps globals as data).
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { BridgeTowerError } from '../../src/errors';
import { caseRandom } from './mutate';
import { target } from './targets';
import type { CaseReply, CaseRequest } from './runner';

let executed: string | undefined;
const cp = createRequire(import.meta.url)('node:child_process') as Record<string, unknown>;
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  cp[name] = () => {
    executed = `child_process.${name}`;
    throw new Error(`fuzz tripwire: child_process.${name} was called`);
  };
}
syncBuiltinESMExports();
globalThis.eval = () => {
  executed = 'eval';
  throw new Error('fuzz tripwire: eval was called');
};

/** Collect garbage between cases once the heap of earlier cases grows, so the memory guard sees this case. */
const GC_ABOVE_BYTES = 400 * 2 ** 20;

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e).slice(0, 200)}`;
  const frame = e.stack?.split('\n').find((l) => l.includes('/src/')) ?? '';
  return `${e.name}: ${e.message.slice(0, 300)} ${frame.trim()}`;
}

process.on('message', (req: CaseRequest) => {
  void (async () => {
    const t = target(req.target);
    const mutant = await t.mutate(caseRandom(req.seed, req.target, req.index));
    const started = performance.now();
    let reply: Omit<CaseReply, 'ms' | 'index' | 'tag' | 'size'>;
    try {
      await t.run(mutant.bytes);
      reply = { outcome: 'accepted', detail: '' };
    } catch (e) {
      reply =
        e instanceof BridgeTowerError && e.message.length > 0
          ? { outcome: 'typed', detail: e.message.slice(0, 300) }
          : { outcome: 'untyped', detail: describeError(e) };
    }
    if (executed) reply = { outcome: 'executed', detail: executed };
    const ms = performance.now() - started;
    if (process.memoryUsage().rss > GC_ABOVE_BYTES) (globalThis as { gc?: () => void }).gc?.();
    process.send!({ ...reply, index: req.index, tag: mutant.tag, ms, size: mutant.bytes.length } satisfies CaseReply);
  })();
});
process.send!('ready');
