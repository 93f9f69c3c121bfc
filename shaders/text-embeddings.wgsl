// textEmbeddings: out[b, l, :] = word[ids[b, l]] + position[pos[b, l]] + token_type[0]  (RoBERTa embeddings,
// before their LayerNorm), with RoBERTa's position ids computed from the ids themselves:
//   pos[b, l] = pad_id                                          if ids[b, l] == pad_id
//             = pad_id + #{l' <= l : ids[b, l'] != pad_id}      otherwise (pad_id + 1, + 2, ... for real tokens).
// The word table may exceed one storage binding, so it comes in chunks of consecutive rows, one dispatch per
// chunk: the first dispatch (uniform `first` = 1, chunk 0) writes every element (position + token type + the
// word row if the id falls in chunk 0); each later one adds the word rows of the ids in its chunk.
// Ids are clamped to [0, vocab) and positions to [0, positions) so nothing is read out of bounds (the model
// validates ids on the CPU before upload).
// Parameters word / position / tokenType (each table's dtype): an f16 table is bound as u32 words holding two
// halves (unpack2x16float, no shader-f16 needed), an f32 table as u32 bit patterns. word q8 / q4: quantized
// (src/spec/quantize.ts): int8 / int4 codes packed four / eight per u32 word in row-major order, times
// word_scale[row] (q8) or word_scale[row · word_blocks + col / 32] (q4), dequantized as they load.
// Bindings (in order): ids: array<i32> [B, L]; word: array<u32> (one chunk, [rows, D]); word_scale: array<f32>
//   (word q8: [rows], q4: [rows, word_blocks]); position: array<u32> [P, D]; token_type: array<u32>
//   [T, D]; out: array<f32> [B, L, D] (written / accumulated); uniform Params.
// Workgroup: 64 invocations per token, each over the columns lid, lid+64, ...; no barriers. The grid of B*L
// workgroups is folded into x*y.
// One invocation: every 64th element of one token's embedding.

const WG: u32 = 64u;

@group(0) @binding(#) var<storage, read> ids: array<i32>;
@group(0) @binding(#) var<storage, read> word: array<u32>;
#if word == q8 || word == q4
@group(0) @binding(#) var<storage, read> word_scale: array<f32>;
#endif
@group(0) @binding(#) var<storage, read> position: array<u32>;
@group(0) @binding(#) var<storage, read> token_type: array<u32>;
@group(0) @binding(#) var<storage, read_write> out: array<f32>;

// Element c of row r of the chunk.
fn word_at(r: u32, c: u32) -> f32 {
  let i = r * p.dim + c;
#if word == f16
  return unpack2x16float(word[i >> 1u])[i & 1u];
#endif
#if word == f32
  return bitcast<f32>(word[i]);
#endif
#if word == q8
  return f32(bitcast<i32>(word[i >> 2u] << (24u - 8u * (i & 3u))) >> 24u) * word_scale[r];
#endif
#if word == q4
  return f32(bitcast<i32>(word[i >> 3u] << (28u - 4u * (i & 7u))) >> 28u) * word_scale[r * p.word_blocks + c / 32u];
#endif
}

fn position_at(i: u32) -> f32 {
#if position == f16
  return unpack2x16float(position[i >> 1u])[i & 1u];
#else
  return bitcast<f32>(position[i]);
#endif
}

fn token_type_at(i: u32) -> f32 {
#if tokenType == f16
  return unpack2x16float(token_type[i >> 1u])[i & 1u];
#else
  return bitcast<f32>(token_type[i]);
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.tokens) {
    return;
  }
  let raw = ids[t];
  let id = u32(clamp(raw, 0, i32(p.vocab) - 1));
  let in_chunk = id >= p.chunk_start && id - p.chunk_start < p.chunk_rows;
  let word_row = id - p.chunk_start;
  if (p.first == 0u) {
    if (in_chunk) {
      for (var c = lid; c < p.dim; c += WG) {
        out[t * p.dim + c] += word_at(word_row, c);
      }
    }
    return;
  }
  var pos = u32(p.pad_id);
  if (raw != p.pad_id) {
    let row_start = t - t % p.length;
    var count = 0u;
    for (var u = row_start; u <= t; u++) {
      count += select(0u, 1u, ids[u] != p.pad_id);
    }
    pos += count;
  }
  pos = min(pos, p.positions - 1u);
  for (var c = lid; c < p.dim; c += WG) {
    var e = position_at(pos * p.dim + c) + token_type_at(c);
    if (in_chunk) {
      e += word_at(word_row, c);
    }
    out[t * p.dim + c] = e;
  }
}
