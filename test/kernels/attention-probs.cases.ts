import { attentionProbs } from '../../src/kernels/attention';
import { attentionProbsRef } from '../reference/ops';
import { ATTENTION_SHAPES, attentionInputs } from './attention.cases';
import { compare, poison, type KernelCase } from './harness';

// [shape from ATTENTION_SHAPES by description, query row]
const PICKS: [string, number][] = [
  ['text self, tiny, padded row', 6],
  ['cross image->text, padded', 0],
  ['CLIP fused qkv, tiny', 16],
  ['unaligned columns (scalar path), d 6', 4],
  ['base cross text->image', 39],
];

export const attentionProbsCases: KernelCase[] = PICKS.map(([what, queryIndex], n) => {
  const s = ATTENTION_SHAPES.find((a) => a.what === what)!;
  return {
    kernel: 'attentionProbs',
    name: `B ${s.B}, Lq ${s.Lq}, Lk ${s.Lk}, ${s.heads}x${s.d}, query ${queryIndex}: ${s.what}`,
    async run(gpu) {
      const x = attentionInputs(gpu, s, 1000 + n);
      const { dims } = x;
      const out = gpu.tensor([s.B, s.heads, s.Lk], 'f32', 'out');
      poison(gpu, out);
      attentionProbs(gpu, x.tq, x.tk, {
        heads: s.heads,
        width: dims.width,
        qOffset: dims.qOffset,
        kOffset: dims.kOffset,
        mask: x.maskTensor,
        queryIndex,
        out,
      });
      const [y] = await gpu.read(out);
      x.release();
      out.release();
      // Probabilities: the score's float32 dot product (<= 64 terms) and exp/sum as in softmax (see there).
      return compare(y, attentionProbsRef(x.q, x.k, x.mask, dims, queryIndex), 2e-6, 1e-5);
    },
  };
});
