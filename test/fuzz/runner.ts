// The fuzz runner: cases spread over worker processes (child.ts), each case under a time limit and an RSS
// guard. Outcomes: accepted, typed (one of our BridgeTowerErrors), untyped (anything else thrown), hang (past
// the time limit), crash (the worker died), memory (past the RSS limit), executed (a program-running call
// reached a tripwire). A case is (target, seed, index): it regenerates alone, anywhere.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const OUTCOMES = ['accepted', 'typed', 'untyped', 'hang', 'crash', 'memory', 'executed'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const FAILURES: readonly Outcome[] = ['untyped', 'hang', 'crash', 'memory', 'executed'];

export interface CaseRequest {
  target: string;
  seed: number;
  index: number;
}

export interface CaseReply {
  index: number;
  outcome: Outcome;
  detail: string;
  tag: string;
  /** Wall time of the read, in the worker. */
  ms: number;
  size: number;
}

export interface CaseResult extends CaseReply {
  target: string;
  seed: number;
  /** Highest RSS of the worker seen during the case (sampled). */
  rssMb: number;
}

export interface FuzzOptions {
  targets: readonly string[];
  perTarget: number;
  seed: number;
  jobs?: number;
  timeLimitMs?: number;
  memoryLimitMb?: number;
  /** Cases slower than this are counted as slow (they still count by their outcome). */
  slowMs?: number;
  onResult?: (r: CaseResult) => void;
}

export interface TargetSummary {
  counts: Record<Outcome, number>;
  maxMs: number;
  maxRssMb: number;
  slow: number;
  tags: Record<string, number>;
}

const CHILD = fileURLToPath(new URL('child.ts', import.meta.url));
const RSS_POLL_MS = 50;

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** One worker process; `run` answers every case, killing and replacing the process when it must. */
class Worker {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  private stderr = '';

  constructor(
    private readonly timeLimitMs: number,
    private readonly memoryLimitMb: number,
  ) {}

  private start(): Promise<void> {
    const child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=2048'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000);
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) =>
        reject(new Error(`fuzz worker exited (${code}) before it was ready: ${this.stderr}`)),
      );
    });
  }

  async run(req: CaseRequest): Promise<CaseResult> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) this.ready = this.start();
    await this.ready;
    const child = this.child!;
    let peak = rssMb(child.pid);
    return new Promise<CaseResult>((resolve) => {
      const base = { ...req, tag: '', ms: 0, size: 0 };
      const finish = (r: CaseResult, kill: boolean): void => {
        clearTimeout(timer);
        clearInterval(poll);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (kill) {
          child.kill('SIGKILL');
          this.child = undefined;
        }
        resolve(r);
      };
      const started = performance.now();
      const onMessage = (m: CaseReply): void =>
        finish({ ...req, ...m, rssMb: Math.max(peak, rssMb(child.pid)) }, false);
      const onExit = (code: number | null, signal: string | null): void => {
        this.child = undefined;
        finish(
          {
            ...base,
            outcome: 'crash',
            detail: `exit ${code ?? signal}: ${this.stderr.trim().slice(-400)}`,
            rssMb: peak,
          },
          false,
        );
      };
      const timer = setTimeout(
        () =>
          finish(
            {
              ...base,
              outcome: 'hang',
              detail: `no answer within ${this.timeLimitMs} ms`,
              ms: performance.now() - started,
              rssMb: peak,
            },
            true,
          ),
        this.timeLimitMs,
      );
      const poll = setInterval(() => {
        peak = Math.max(peak, rssMb(child.pid));
        if (peak > this.memoryLimitMb)
          finish(
            {
              ...base,
              outcome: 'memory',
              detail: `RSS ${peak.toFixed(0)} MB over ${this.memoryLimitMb} MB`,
              rssMb: peak,
            },
            true,
          );
      }, RSS_POLL_MS);
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send(req);
    });
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}

export async function runFuzz(opts: FuzzOptions): Promise<Map<string, TargetSummary>> {
  const summaries = new Map<string, TargetSummary>();
  const queue: CaseRequest[] = [];
  for (const target of opts.targets) {
    summaries.set(target, {
      counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
      maxMs: 0,
      maxRssMb: 0,
      slow: 0,
      tags: {},
    });
    for (let index = 0; index < opts.perTarget; index++) queue.push({ target, seed: opts.seed, index });
  }
  const workers = Array.from(
    { length: opts.jobs ?? 2 },
    () => new Worker(opts.timeLimitMs ?? 10_000, opts.memoryLimitMb ?? 1024),
  );
  let next = 0;
  try {
    await Promise.all(
      workers.map(async (w) => {
        while (next < queue.length) {
          const r = await w.run(queue[next++]);
          const s = summaries.get(r.target)!;
          s.counts[r.outcome]++;
          s.maxMs = Math.max(s.maxMs, r.ms);
          if (r.ms > (opts.slowMs ?? 5000)) s.slow++;
          s.maxRssMb = Math.max(s.maxRssMb, r.rssMb);
          if (r.tag) s.tags[r.tag] = (s.tags[r.tag] ?? 0) + 1;
          opts.onResult?.(r);
        }
      }),
    );
  } finally {
    for (const w of workers) w.stop();
  }
  return summaries;
}
