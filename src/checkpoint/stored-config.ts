// A BridgeTowerConfig read back from a file (a web-format manifest, a stored model): every field checked by
// type and against the plausible ranges of LIMITS before anything loops over layers or sizes a buffer by it.
import { CheckpointError } from '../errors';
import type { BridgeTowerConfig } from '../common/config';
import { LIMITS, overLimit } from '../common/limits';
import { untrusted } from '../common/untrusted';

type Checker = (v: unknown, path: string) => void;

const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);

const OPTIONAL_FIELDS = [
  'imageProcessor',
  'definition',
  'layerNormEps',
  'hiddenAct',
  'linkTower',
  'tieWordEmbeddings',
  'itmPath',
];
const OPTIONAL_HEADS = ['vqa', 'snli', 'nlvr2', 'itm', 'itc', 'mlm', 'irtr'];

/** `x` as a stored BridgeTowerConfig, or a CheckpointError of `file` naming the first bad field. */
export function checkStoredConfig(x: unknown, file: string): BridgeTowerConfig {
  const bad = (path: string, v: unknown, what: string): never => {
    throw new CheckpointError(file, `config.${path} is ${untrusted(v)}, ${what}`);
  };
  const count =
    (limit: 'layers' | 'width' | 'preprocessSide', min = 1): Checker =>
    (v, path) => {
      if (!Number.isSafeInteger(v) || (v as number) < min) bad(path, v, `not a whole number >= ${min}`);
      if ((v as number) > LIMITS[limit].value)
        throw new CheckpointError(file, overLimit(limit, v as number, `config.${path}`));
    };
  const positive: Checker = (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(path, v, 'not a positive number');
  };
  const bool: Checker = (v, path) => {
    if (typeof v !== 'boolean') bad(path, v, 'not true or false');
  };
  const oneOf =
    (...values: unknown[]): Checker =>
    (v, path) => {
      if (!values.includes(v)) bad(path, v, `not one of ${values.join(', ')}`);
    };
  const triple: Checker = (v, path) => {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((n) => typeof n === 'number' && Number.isFinite(n)))
      bad(path, v, 'not three numbers');
  };
  const object =
    (fields: Record<string, Checker>, optional: readonly string[] = []): Checker =>
    (v, path) => {
      if (!isObject(v)) bad(path || '(the whole config)', v, 'not an object');
      const o = v as Record<string, unknown>;
      for (const [k, check] of Object.entries(fields))
        if (!(o[k] === undefined && optional.includes(k))) check(o[k], path ? `${path}.${k}` : k);
    };
  const width = count('width');
  const side = count('preprocessSide');
  const head = object({ layers: oneOf(1, 2), inFeatures: width, hidden: count('width', 0), outFeatures: width });
  const act = oneOf('gelu', 'gelu_tanh', 'relu', 'silu', 'quickgelu', 'tanh');
  object(
    {
      hiddenSize: width,
      numHeads: width,
      numLayers: count('layers'),
      crossIntermediateSize: width,
      vision: object({
        width,
        layers: count('layers'),
        heads: width,
        patchSize: side,
        imageSize: side,
        layernormShared: bool,
      }),
      text: object({
        hiddenSize: width,
        layers: count('layers'),
        heads: width,
        intermediateSize: width,
        vocabSize: width,
        maxPositionEmbeddings: width,
        typeVocabSize: width,
        padTokenId: count('width', 0),
        bosTokenId: count('width', 0),
        eosTokenId: count('width', 0),
        maxTextLen: width,
      }),
      tokenTypes: width,
      heads: object(
        {
          vqa: head,
          snli: head,
          nlvr2: head,
          itm: bool,
          itc: object({ dim: width, cross: bool }, ['cross']),
          mlm: bool,
          irtr: bool,
        },
        OPTIONAL_HEADS,
      ),
      imagePreprocess: oneOf('hf', 'blip', 'clip'),
      imageProcessor: object({
        shortestEdge: side,
        sizeDivisor: side,
        cropSize: side,
        doResize: bool,
        doRescale: bool,
        rescaleFactor: positive,
        doNormalize: bool,
        mean: triple,
        std: triple,
      }),
      definition: oneOf('authors', 'hf'),
      layerNormEps: object({ vision: positive, text: positive, cross: positive, bridge: positive, mlm: positive }),
      hiddenAct: object({ text: act, cross: act, mlm: act }),
      linkTower: oneOf('add', 'scaled_add', 'interpolate'),
      tieWordEmbeddings: bool,
      itmPath: oneOf('infer', 'fusion'),
    },
    OPTIONAL_FIELDS,
  )(x, '');
  const c = x as BridgeTowerConfig;
  if (c.vision.patchSize > c.vision.imageSize)
    bad('vision.patchSize', c.vision.patchSize, `larger than the image size ${c.vision.imageSize}`);
  return c;
}
