// `bridgetower <command> ...`: each command lives in its own module and returns an exit status.
// Expected failures (BridgeTowerError) print one line, never a stack trace.
import { version } from '../../package.json';
import { BridgeTowerError } from '../errors';

type Command = { summary: string; load: () => Promise<{ default: (argv: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  vqa: {
    summary: 'answer a question about an image: --image F --question "..." [--top-k K] [--json] [--model DIR]',
    load: () => import('./vqa'),
  },
  embed: {
    summary: 'contrastive embeddings for search: --image F... --text "..."... [--pair] [--json] [--model DIR]',
    load: () => import('./embed'),
  },
  match: {
    summary: 'image-text matching scores: --image F --text "..." [--text "..."] [--json] [--model DIR]',
    load: () => import('./match'),
  },
  index: {
    summary:
      'build or resume a search index of pictures: index <folder|pictures…> --out photos.btindex [--batch B] [--model DIR]',
    load: () => import('./index'),
  },
  search: {
    summary:
      'search an index: search photos.btindex "a red circle" [--top-k K] [--rerank N] [--json] | --image F | --export F.npy|F.jsonl',
    load: () => import('./search'),
  },
  preprocess: {
    summary:
      'write pixel_values (F32 [1,3,S,S]) for an image: --image F --size S --mode blip|clip|hf --out F.safetensors',
    load: () => import('./preprocess'),
  },
  tokenize: {
    summary:
      'print the RoBERTa token ids of a text as JSON: [--vocab V --merges M | --model M] [--max-length N] "<text>"',
    load: () => import('./tokenize'),
  },
  convert: {
    summary: 'convert a checkpoint (.ckpt, HF .bin/.safetensors) to the web weight format',
    load: () => import('./convert'),
  },
  verify: {
    summary: 'check a golden fixture: run its inputs, compare every tensor with expected.safetensors',
    load: () => import('./verify'),
  },
  run: {
    summary:
      'one forward pass for scripts: --model M --pixels F.safetensors --input-ids "0,713,2" [--outputs a,b] --out F.safetensors',
    load: () => import('./run'),
  },
  'bench-model': {
    summary:
      'time forward passes and count what they create: bench-model [--preset base-vqa | --model DIR] [--image-size S] [--profile] [--json]',
    load: () => import('./bench-model'),
  },
  bench: {
    summary:
      'print GFLOP/s of the linear and attention kernels: bench kernels [--variant blocked|tiled|all] [--iterations N]; ' +
      "the README's performance table: bench table",
    load: () => import('./bench'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return [
    'usage: bridgetower <command> [options]   (bridgetower <command> --help; bridgetower --version)',
    '',
    ...Object.entries(commands).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    console.error(usage());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`bridgetower ${version}`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(`bridgetower: unknown command ${JSON.stringify(name)} (bridgetower --help lists the commands)`);
    return 2;
  }
  return (await command.load()).default(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof BridgeTowerError) {
      console.error(`bridgetower: ${e.message}`);
      process.exit(e.code === 'usage' ? 2 : 1);
    }
    console.error('bridgetower: internal error (please report):', e);
    process.exit(70);
  },
);
