// A sweep of careless inputs through every command of the built CLI (dist/cli.mjs, as users run it): each
// must end with one line on stderr naming the problem, exit 2 for bad usage or 1 for a bad file or model, and
// never a stack trace. Most cases fail before any GPU work, so the sweep runs many processes at once.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const CLI = 'dist/cli.mjs';
const tmp = mkdtempSync(join(tmpdir(), 'bt-bad-inputs-'));
const at = (p: string) => join(tmp, p);
const IMAGE = 'test/fixtures/tiny/image.png';
const DEMO_IMAGE = 'test/fixtures/demo-model/eval/img-26-96x72.png';
const TINY = 'test/fixtures/tiny/model.ckpt';
const VOCAB = 'test/fixtures/demo-model/vocab.json';
const MERGES = 'test/fixtures/demo-model/merges.txt';
const LONG = 'how many red objects are there in this picture with circles squares and triangles of many colours on it?';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The Vulkan loader's complaint about the environment, not ours: left out of what the CLI is judged on. */
const ENVIRONMENT_NOISE = /^error: XDG_RUNTIME_DIR is invalid or not set in the environment\.$/;

function cli(args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      const ours = stderr
        .split('\n')
        .filter((l) => l !== '' && !ENVIRONMENT_NOISE.test(l))
        .join('\n');
      resolve({ code, stdout, stderr: ours });
    });
  });
}

function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) => {
      const p = join(dir, e.name);
      return e.isDirectory() ? newest(p) : statSync(p).mtimeMs;
    }),
  );
}

/** [args, exit code, what the one line must say] */
type Case = [string[], 1 | 2, RegExp];

const cases: Case[] = [
  // the command itself
  [['frobnicate'], 2, /unknown command "frobnicate"/],
  // vqa
  [['vqa'], 2, /vqa needs --image and --question/],
  [['vqa', '--image', IMAGE], 2, /vqa needs --question\b/],
  [['vqa', '--image', IMAGE, '--question', ''], 2, /--question is empty/],
  [['vqa', '--image', IMAGE, '--question', ' \t '], 2, /--question is empty/],
  [['vqa', '--image', IMAGE, '--question', 'a', '--question', 'b'], 2, /--question was given 2 times \("a", "b"\)/],
  [['vqa', '--image', IMAGE, '--question'], 2, /--question needs a value/],
  [['vqa', '--image', IMAGE, '--question', 'q', '--top-k', '0'], 2, /--top-k must be at least 1/],
  [['vqa', '--image', IMAGE, '--question', 'q', '--top-k', 'five'], 2, /--top-k must be an integer, got "five"/],
  [['vqa', '--image', IMAGE, '--question', 'q', '--json=yes'], 2, /--json takes no value/],
  [['vqa', '--image', IMAGE, '--question', 'q', '--colour', 'red'], 2, /unknown option --colour/],
  [['vqa', '--image', IMAGE, '--question', 'q', 'extra'], 2, /vqa takes no positional arguments, got "extra"/],
  [
    ['vqa', '--image', IMAGE, '--question', 'q', '--image-preprocess', 'squash'],
    2,
    /--image-preprocess must be one of/,
  ],
  [['vqa', '--image', at('missing.png'), '--question', 'q'], 1, /missing\.png: cannot read \(ENOENT\)/],
  [['vqa', '--image', at('notes.txt'), '--question', 'q'], 1, /notes\.txt: .*(PNG|JPEG|image)/i],
  [
    ['vqa', '--image', IMAGE, '--question', 'q', '--model', at('no-such-model')],
    1,
    /no-such-model: not found \(no such file or directory\)/,
  ],
  [['vqa', '--image', IMAGE, '--question', 'q', '--model', at('notes.txt')], 1, /notes\.txt: not a checkpoint/],
  [
    ['vqa', '--image', IMAGE, '--question', 'q', '--model', at('tiny-no-tokenizer')],
    1,
    /tiny-no-tokenizer has no tokenizer files/,
  ],
  [
    ['vqa', '--image', IMAGE, '--question', 'q', '--model', at('demo-big-vocab')],
    1,
    /the tokenizer's vocabulary \(1261 entries\) does not match the model's \(761 rows/,
  ],
  // match
  [['match', '--image', IMAGE], 2, /match needs --text/],
  [['match', '--image', IMAGE, '--text', ''], 2, /--text is empty/],
  [['match', '--image', IMAGE, '--text', 'a circle', '--text', '  '], 2, /--text #2 is empty/],
  [['match', '--image', IMAGE, '--image', IMAGE, '--text', 'a'], 2, /--image was given 2 times/],
  [['match', '--image', at('notes.txt'), '--text', 'a'], 1, /notes\.txt/],
  // preprocess
  [['preprocess', '--image', IMAGE], 2, /preprocess needs --size and --mode and --out/],
  [
    ['preprocess', '--image', IMAGE, '--size', '0', '--mode', 'hf', '--out', at('p.safetensors')],
    2,
    /--size must be between 1 and 4096, got 0/,
  ],
  [
    ['preprocess', '--image', IMAGE, '--size', '100000', '--mode', 'hf', '--out', at('p.safetensors')],
    2,
    /--size must be between 1 and 4096/,
  ],
  [
    ['preprocess', '--image', IMAGE, '--size', 'big', '--mode', 'hf', '--out', at('p.safetensors')],
    2,
    /--size must be an integer/,
  ],
  [
    ['preprocess', '--image', IMAGE, '--size', '64', '--mode', 'squash', '--out', at('p.safetensors')],
    2,
    /--mode must be one of/,
  ],
  [
    ['preprocess', '--image', IMAGE, '--size', '64', '--mode', 'hf', '--out', at('notes.txt/p.safetensors')],
    2,
    /--out .*notes\.txt\/p\.safetensors: cannot create the folder/,
  ],
  [['preprocess', '--image', IMAGE, '--size', '64', '--mode', 'hf', '--out', tmp], 2, /is a folder; give a file name/],
  [['preprocess', '--image', IMAGE, '--size', '64', '--mode', 'hf', '--out', ''], 2, /--out is empty/],
  [
    ['preprocess', '--image', IMAGE, '--size', '64', '--mode', 'hf', '--out', `./${IMAGE}`],
    2,
    /is also an input of this command/,
  ],
  [
    ['preprocess', '--image', at('notes.txt'), '--size', '64', '--mode', 'hf', '--out', at('p.safetensors')],
    1,
    /notes\.txt/,
  ],
  // tokenize
  [['tokenize'], 2, /tokenize takes one text, got 0/],
  [['tokenize', 'a', 'b'], 2, /tokenize takes one text, got 2/],
  [['tokenize', ''], 2, /the text is empty/],
  [['tokenize', '--vocab', VOCAB, 'a'], 2, /--vocab and --merges go together/],
  [['tokenize', '--vocab', VOCAB, '--merges', MERGES, '--model', 'weights/demo', 'a'], 2, /give one tokenizer/],
  [['tokenize', '--max-length', '1', 'a'], 2, /--max-length must be at least 2/],
  [['tokenize', '--model', at('tiny-no-tokenizer'), 'a'], 1, /has no tokenizer files/],
  [['tokenize', '--vocab', at('missing.json'), '--merges', MERGES, 'a'], 1, /missing\.json: cannot read \(ENOENT\)/],
  [['tokenize', '--vocab', at('notes.txt'), '--merges', MERGES, 'a'], 1, /notes\.txt: not valid JSON/],
  // convert
  [['convert'], 2, /convert takes one checkpoint path, got 0/],
  [['convert', TINY], 2, /convert needs --out/],
  [['convert', TINY, '--out', ''], 2, /--out is empty/],
  [['convert', TINY, '--out', at('c'), '--out', at('d')], 2, /--out was given 2 times/],
  [['convert', TINY, '--out', at('c'), '--dtype', 'f8'], 2, /--dtype must be f32, f16, q8, q4/],
  [['convert', TINY, '--out', at('c'), '--vocab', VOCAB], 2, /--vocab and --merges go together/],
  [['convert', 'weights/demo', '--out', 'weights/demo/'], 2, /is the model being converted/],
  [['convert', TINY, '--out', at('notes.txt')], 2, /--out .*notes\.txt is a file; convert writes a folder/],
  [['convert', at('missing.ckpt'), '--out', at('c')], 1, /missing\.ckpt/],
  [['convert', at('notes.txt'), '--out', at('c')], 1, /notes\.txt/],
  [['convert', TINY, '--out', at('c'), '--config', at('notes.txt')], 2, /--config .*notes\.txt: not valid JSON/],
  [['convert', TINY, '--out', at('c'), '--labels', at('notes.txt')], 1, /notes\.txt/],
  [
    ['convert', TINY, '--out', at('mismatch'), '--vocab', VOCAB, '--merges', MERGES],
    1,
    /the tokenizer's vocabulary \(761 entries\) does not match the model's \(64 rows/,
  ],
  // verify
  [['verify'], 2, /verify takes one fixture directory, got 0/],
  [['verify', tmp], 2, /not a fixture directory/],
  [['verify', 'test/fixtures/tiny', '--from', 'onnx'], 2, /--from must be ckpt, hf or web, got "onnx"/],
  [['verify', 'test/fixtures/tiny', '--from', 'ckpt', '--from', 'hf'], 2, /--from was given 2 times/],
  [['verify', 'test/fixtures/tiny', '--dtype', 'f8'], 2, /--dtype must be f32, f16, q8, q4/],
  [['verify', 'test/fixtures/tiny', '--weights', at('missing')], 1, /missing: not found \(no such file or directory\)/],
  // run
  [['run'], 2, /run needs --model and --out/],
  [['run', '--model', TINY], 2, /run needs --out/],
  [
    ['run', '--model', TINY, '--pixels', at('p.safetensors'), '--out', at('p.safetensors')],
    2,
    /is also an input of this command/,
  ],
  [
    ['run', '--model', TINY, '--out', at('r.safetensors'), '--input-ids', '0,x,2'],
    2,
    /--input-ids row 0: "x" is not an integer/,
  ],
  [
    ['run', '--model', TINY, '--out', at('r.safetensors'), '--input-ids', '0,5,2', '--attention-mask', '1,1'],
    2,
    /--attention-mask row 0 has 2 values for 3 ids/,
  ],
  [
    ['run', '--model', TINY, '--out', at('r.safetensors'), '--pixels', at('missing.safetensors')],
    1,
    /missing\.safetensors: cannot read/,
  ],
  [['run', '--model', TINY, '--out', at('r.safetensors'), '--config', at('notes.txt')], 2, /--config .*notes\.txt/],
  [
    ['run', '--model', TINY, '--out', at('r.safetensors'), '--pixels', at('notes.txt')],
    1,
    /notes\.txt: not a safetensors file/,
  ],
  [['run', '--model', at('notes.txt'), '--out', at('r.safetensors')], 1, /notes\.txt: not a checkpoint/],
  [['run', '--model', TINY, '--out', at('r.safetensors'), '--outputs', 'nonsense'], 1, /unknown output "nonsense"/],
  // The output is checked first: a model that does not exist is never opened.
  [['run', '--model', at('no-such-model'), '--out', at('notes.txt/r.safetensors')], 2, /cannot create the folder/],
  [
    [
      'run',
      '--model',
      TINY,
      '--out',
      at('r.safetensors'),
      '--pixels',
      'test/fixtures/tiny/inputs.safetensors',
      '--input-ids',
      '0,999,2',
    ],
    1,
    /inputIds\[0, 1\] = 999 is outside the vocabulary \[0, 64\)/,
  ],
  // bench-model
  [['bench-model', '--preset', 'huge'], 2, /--preset must be one of/],
  [['bench-model', '--dtype', 'f8'], 2, /--dtype takes f32, f16, q8, q4 or a comma list/],
  [['bench-model', '--batch', '0'], 2, /--batch, --tokens and --iterations must be positive/],
  [['bench-model', '--batch', 'two'], 2, /--batch must be an integer/],
  [
    ['bench-model', '--tokens', '100000'],
    2,
    /--tokens must be at most 512 \(the base-vqa position table\), got 100000/,
  ],
  [['bench-model', '--limits', 'max'], 2, /--limits must be adapter or default/],
  // bench
  [['bench'], 2, /bench needs a target/],
  [['bench', 'models'], 2, /bench has no target "models"/],
  [['bench', 'kernels', '--variant', 'fast'], 2, /--variant must be blocked, tiled or all/],
  [['bench', 'kernels', '--iterations', '0'], 2, /--iterations must be at least 1/],
  [['bench', 'kernels', 'now'], 2, /unexpected argument now/],
];

const results = new Map<Case, Result>();

beforeAll(async () => {
  // The sweep judges the bundle users run: rebuild it when a source is newer (CI builds it in `npm ci`).
  if (!existsSync(CLI) || statSync(CLI).mtimeMs < Math.max(newest('src'), newest('shaders'))) {
    execFileSync(process.execPath, [
      'node_modules/vite/bin/vite.js',
      'build',
      '--config',
      'vite.cli.config.ts',
      '--logLevel',
      'error',
    ]);
  }
  writeFileSync(at('notes.txt'), 'not an image, not JSON, not a checkpoint\n');
  const convert = await cli(['convert', TINY, '--out', at('tiny-no-tokenizer')]);
  expect(convert.code, convert.stderr).toBe(0);
  cpSync('weights/demo', at('demo-big-vocab'), { recursive: true });
  const vocab = JSON.parse(readFileSync(at('demo-big-vocab/vocab.json'), 'utf8')) as Record<string, number>;
  for (let i = 0; i < 500; i++) vocab[`extra${i}`] = 761 + i;
  writeFileSync(at('demo-big-vocab/vocab.json'), JSON.stringify(vocab));
  // Four processes at a time: most exit before touching the GPU, in well under a second.
  const queue = [...cases];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) results.set(c, await cli(c[0]));
    }),
  );
}, 300_000);

describe('every CLI command answers bad input with one line, a non-zero exit and no stack trace', () => {
  it.each(cases.map((c) => [c[0].join(' ') || '(nothing)', c] as const))('%s', (_, c) => {
    const [, code, message] = c;
    const r = results.get(c)!;
    expect(r.stderr).not.toMatch(/^\s+at |internal error/m);
    expect(r.stderr.split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^bridgetower: .*${message.source}`));
    expect(r.code, r.stderr).toBe(code);
  });

  it('prints the usage on stderr with exit 2 when no command is given; --help of each command; --version', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^usage: bridgetower <command>/);
    for (const command of [
      'vqa',
      'match',
      'preprocess',
      'tokenize',
      'convert',
      'verify',
      'run',
      'bench-model',
      'bench',
    ]) {
      const help = await cli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^usage: bridgetower ${command}\\b`));
    }
    const version = await cli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(`bridgetower ${JSON.parse(readFileSync('package.json', 'utf8')).version}`);
  });

  it('leaves nothing behind where it refused: no folder for a mismatched tokenizer', () => {
    expect(existsSync(at('mismatch/manifest.json'))).toBe(false);
  });
});

describe('what the CLI does with input it accepts but must comment on', () => {
  it('creates missing folders for --out (preprocess, run)', async () => {
    const p = await cli([
      'preprocess',
      '--image',
      IMAGE,
      '--size',
      '64',
      '--mode',
      'hf',
      '--out',
      at('new/deeper/p.safetensors'),
    ]);
    expect(p.code, p.stderr).toBe(0);
    expect(existsSync(at('new/deeper/p.safetensors'))).toBe(true);
    const r = await cli([
      'run',
      '--model',
      TINY,
      '--pixels',
      'test/fixtures/tiny/inputs.safetensors',
      '--outputs',
      'itm_logits',
      '--out',
      at('other/r.safetensors'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(at('other/r.safetensors'))).toBe(true);
  });

  it('says on stderr when a question or caption is longer than the model reads', async () => {
    const vqa = await cli(['vqa', '--image', DEMO_IMAGE, '--question', LONG]);
    expect(vqa.code, vqa.stderr).toBe(0);
    expect(vqa.stderr).toMatch(
      /^note: the question is 27 tokens long \(with <s> and <\/s>\); the model reads 24, so the rest was cut off$/m,
    );
    const short = await cli(['vqa', '--image', DEMO_IMAGE, '--question', 'how many red objects are there?', '--json']);
    expect(short.stderr).not.toMatch(/note:/);
    const match = await cli(['match', '--image', DEMO_IMAGE, '--text', 'a red circle', '--text', LONG, '--json']);
    expect(match.code, match.stderr).toBe(0);
    expect(match.stderr.match(/^note: .* is 27 tokens long/gm)).toHaveLength(1);
    const { results: rows } = JSON.parse(match.stdout) as { results: { text: string; truncatedTo?: number }[] };
    expect(rows.map((r) => r.truncatedTo)).toEqual([undefined, 24]);
  });

  it('warns when convert has no tokenizer, and says so in the summary line', async () => {
    const r = await cli(['convert', TINY, '--out', at('converted')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: no tokenizer files .*cannot take text/m);
    expect(r.stdout.trim()).toMatch(/^converted .* -> .*converted: .*, no tokenizer$/);
    const withTokenizer = await cli(['convert', 'weights/demo', '--out', at('demo-copy')]);
    expect(withTokenizer.code, withTokenizer.stderr).toBe(0);
    expect(withTokenizer.stderr).not.toMatch(/warning/);
    expect(withTokenizer.stdout).not.toMatch(/no tokenizer/);
  });

  it("tokenize uses the demo model's tokenizer by default, or --model's", async () => {
    const byDefault = await cli(['tokenize', 'what color is the circle?']);
    expect(byDefault).toMatchObject({ code: 0, stdout: '[0,329,349,299,264,279,67,2]\n' });
    const byModel = await cli([
      'tokenize',
      '--model',
      'weights/demo',
      '--max-length',
      '4',
      'what color is the circle?',
    ]);
    expect(byModel).toMatchObject({ code: 0, stdout: '[0,329,349,2]\n' });
  });
});
