// `bridgetower verify <fixture-dir>`: check a golden fixture (src/verify/fixture.ts) and print every check.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { isWebDType, WEB_DTYPES } from '../checkpoint/web-format';
import { createNodeGpu } from '../gpu/node';
import { COMPUTE_PRECISIONS, type ComputePrecision } from '../model/bridgetower';
import { defaultOrigin, loadFixtureModel, verifyFixture } from '../verify/fixture';
import { flag, option, parseArgs } from './args';

const HELP = `usage: bridgetower verify <fixture-dir> [--from ckpt|hf|web] [--dtype f32|f16|q8|q4] [--weights <path>] [--limits adapter|default]
         [--compute f32|f16]
  --from     ckpt: model.ckpt; hf: model-hf.safetensors with the manifest's config; web: model.ckpt converted to the web format
  --dtype    f16 / q8 / q4: web format with those weights (implies --from web), compared with that dtype's tolerance
             plus exact top-1 (f16, q8; reported for q4)
  --weights  use this weight file or web-format directory as it is (no conversion) instead of the fixture's;
             --dtype then only picks the tolerance
  --limits   default: request WebGPU's default limits (128 MiB bindings) to exercise chunked weights
  --compute  f16: activations between matrix products stored as f16 (f32 arithmetic), held to the f16 bar and
             exact top-1 (off by default: not yet measured on a GPU)`;

export default async function verify(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['from', 'dtype', 'weights', 'limits', 'compute'], flags: ['help'] });
  if (flag(args, 'help')) {
    console.log(HELP);
    return 0;
  }
  if (args.positionals.length !== 1) {
    throw new UsageError(
      `verify takes one fixture directory, got ${args.positionals.length} (see bridgetower verify --help)`,
    );
  }
  const dir = args.positionals[0];
  const from = option(args, 'from');
  if (from !== undefined && from !== 'ckpt' && from !== 'hf' && from !== 'web')
    throw new UsageError(`--from must be ckpt, hf or web, got ${JSON.stringify(from)}`);
  const dtype = option(args, 'dtype', 'f32');
  if (!isWebDType(dtype))
    throw new UsageError(`--dtype must be ${WEB_DTYPES.join(', ')}, got ${JSON.stringify(dtype)}`);
  const compute = option(args, 'compute', 'f32') as ComputePrecision;
  if (!COMPUTE_PRECISIONS.includes(compute))
    throw new UsageError(`--compute must be f32 or f16, got ${JSON.stringify(compute)}`);
  const limits = option(args, 'limits', 'adapter');
  if (limits !== 'adapter' && limits !== 'default')
    throw new UsageError(`--limits must be adapter or default, got ${JSON.stringify(limits)}`);
  if (!existsSync(join(dir, 'inputs.safetensors')) || !existsSync(join(dir, 'expected.safetensors'))) {
    throw new UsageError(`${dir}: not a fixture directory (needs inputs.safetensors and expected.safetensors)`);
  }

  const gpu = await createNodeGpu({ limits });
  try {
    const model = await loadFixtureModel(gpu, dir, { from, dtype, weights: option(args, 'weights'), compute });
    try {
      const report = await verifyFixture(model, dir, { dtype });
      console.log(
        `${dir}: weights from ${option(args, 'weights') ?? from ?? defaultOrigin(dir, dtype)} (${dtype}${compute === 'f16' ? ', f16 compute' : ''}) on ${gpu.adapterDescription}; ` +
          `${report.tolerance}; definitions: ${model.describeDefinitions()}`,
      );
      const width = Math.max(...report.checks.map((c) => c.name.length));
      for (const c of report.checks) {
        const err = Number.isFinite(c.maxAbs) ? c.maxAbs.toExponential(2) : 'inf';
        console.log(`${c.name.padEnd(width)}  ${err.padStart(9)}  ${c.pass ? 'pass' : 'FAIL'}  ${c.detail}`);
      }
      console.log(`${report.passed} passed, ${report.failed} failed`);
      return report.failed === 0 ? 0 : 1;
    } finally {
      model.dispose();
    }
  } finally {
    gpu.destroy();
  }
}
