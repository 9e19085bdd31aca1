"""LLaVA-OneVision's video path in plain torch (no transformers), written from ../../shared/design/llava-onevision.md:
SigLIP tower (raw last hidden state), projector, bilinear 2x pooling, one newline per video, merge at the <video>
rows, Qwen2 decoder with a KV cache, greedy decoding. Every function takes tensors of one float dtype (fp32 for the
fixtures, fp64 for the noise-floor comparison) and does no rounding to any other dtype.

Shapes: F frames, P patches (729), Cv vision width, H LM width, T tokens, Hq query heads, Hkv kv heads, D head dim,
V vocabulary rows.
"""
import math

import torch
import torch.nn.functional as F

VISION = "vision_tower.vision_model."
PROJECTOR = "multi_modal_projector."
TEXT = "language_model.model."
HEAD = "language_model.lm_head.weight"
NEWLINE = "image_newline"


class Dims:
    """The config values the video path reads, with the Qwen2Config / SiglipVisionConfig defaults for absent keys.
    Values this implementation does not support (another feature layer, activation or strategy) are refused."""

    def __init__(self, config):
        v = config["vision_config"]
        t = config["text_config"]
        self.vision_width = v["hidden_size"]
        self.vision_layers = v["num_hidden_layers"]
        self.vision_heads = v["num_attention_heads"]
        self.vision_eps = v.get("layer_norm_eps", 1e-6)
        self.image_size = v.get("image_size", 384)
        self.patch_size = v.get("patch_size", 14)
        self.grid = self.image_size // self.patch_size
        self.pooled_grid = math.ceil(self.grid / 2)
        self.width = t["hidden_size"]
        self.layers = t["num_hidden_layers"]
        self.heads = t["num_attention_heads"]
        self.kv_heads = t.get("num_key_value_heads", self.heads)
        self.head_dim = t.get("head_dim") or self.width // self.heads
        self.eps = t.get("rms_norm_eps", 1e-6)
        # transformers 5 saves rope_theta inside rope_parameters; older configs keep it at the top of text_config.
        rope = t.get("rope_parameters") or {}
        self.theta = float(rope.get("rope_theta", t.get("rope_theta", 10000.0)))
        self.vocab = t["vocab_size"]
        self.tied = bool(t.get("tie_word_embeddings", False))
        self.video_token = config["video_token_index"]
        checks = [("vision_feature_layer", config.get("vision_feature_layer", -2), -1),
                  ("vision_feature_select_strategy", config.get("vision_feature_select_strategy"), "full"),
                  ("projector_hidden_act", config.get("projector_hidden_act", "gelu"), "gelu"),
                  ("text_config.hidden_act", t.get("hidden_act", "silu"), "silu"),
                  ("vision_config.hidden_act", v.get("hidden_act", "gelu_pytorch_tanh"), "gelu_pytorch_tanh"),
                  ("rope type", rope.get("rope_type", "default") if rope else
                   (t.get("rope_scaling") or {}).get("type", "default"), "default")]
        for name, value, expected in checks:
            if value != expected:
                raise ValueError("%s is %r; this reference implements only %r" % (name, value, expected))


def to_torch(arrays, dtype):
    """{name: numpy array} -> {name: torch tensor of dtype}. Shares memory when the dtype already matches (the arrays
    from reference_io.read_safetensors are owned, writable copies), so a 0.5B model is not held twice in fp32."""
    return {name: torch.from_numpy(array).to(dtype) for name, array in arrays.items()}


def head_matrix(w, dims):
    """[V, H] output matrix: lm_head when stored, else embed_tokens (the tied 0.5B case). A stored head that
    differs from the embedding while the config says tied is an error, since HF would ignore the stored one."""
    embed = w[TEXT + "embed_tokens.weight"]
    if HEAD in w:
        if dims.tied and not torch.equal(w[HEAD], embed):
            raise ValueError("config ties the head but lm_head differs from embed_tokens")
        return w[HEAD]
    if not dims.tied:
        raise ValueError("no lm_head tensor and tie_word_embeddings is false")
    return embed

# ---------------------------------------------------------------------------------------------------------------
# shared pieces
# ---------------------------------------------------------------------------------------------------------------


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def layer_norm(x, weight, bias, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def rms_norm(x, weight, eps):
    return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps) * weight


def attention(q, k, v, q_positions=None, k_positions=None):
    """q [Hq, Tq, D], k/v [Hkv, Tk, D] -> [Hq, Tq, D]. Query head h reads kv head h // (Hq / Hkv). With positions,
    key j is visible to query i only when k_positions[j] <= q_positions[i] (causal); without, all keys are."""
    group = q.shape[0] // k.shape[0]
    k = k.repeat_interleave(group, dim=0)  # [Hq, Tk, D]
    v = v.repeat_interleave(group, dim=0)  # [Hq, Tk, D]
    scores = (q @ k.transpose(1, 2)) * (q.shape[-1] ** -0.5)  # [Hq, Tq, Tk]
    if q_positions is not None:
        hidden = k_positions[None, :] > q_positions[:, None]  # [Tq, Tk]
        scores = scores.masked_fill(hidden[None], float("-inf"))
    return scores.softmax(dim=-1) @ v

# ---------------------------------------------------------------------------------------------------------------
# vision: SigLIP, projector, pooling, assembly
# ---------------------------------------------------------------------------------------------------------------


def patch_embed(pixels, w, dims):
    """pixels [F, 3, S, S] -> [F, P, Cv]: conv 14/14 flattened row-major over the patch grid, plus positions."""
    x = F.conv2d(pixels, w[VISION + "embeddings.patch_embedding.weight"], w[VISION + "embeddings.patch_embedding.bias"],
                 stride=dims.patch_size)  # [F, Cv, 27, 27]
    x = x.flatten(2).transpose(1, 2)  # [F, P, Cv]
    return x + w[VISION + "embeddings.position_embedding.weight"][None]


def siglip_layer(x, w, i, dims):
    """One pre-LN encoder layer on [F, P, Cv]."""
    p = VISION + "encoder.layers.%d." % i
    frames, patches, width = x.shape
    heads = dims.vision_heads
    h = layer_norm(x, w[p + "layer_norm1.weight"], w[p + "layer_norm1.bias"], dims.vision_eps)

    def project(name):  # [F, P, Cv] -> [F, heads, P, D]
        y = F.linear(h, w[p + "self_attn.%s.weight" % name], w[p + "self_attn.%s.bias" % name])
        return y.view(frames, patches, heads, width // heads).transpose(1, 2)

    q, k, v = project("q_proj"), project("k_proj"), project("v_proj")
    out = torch.stack([attention(q[f], k[f], v[f]) for f in range(frames)])  # [F, heads, P, D]
    out = out.transpose(1, 2).reshape(frames, patches, width)
    x = x + F.linear(out, w[p + "self_attn.out_proj.weight"], w[p + "self_attn.out_proj.bias"])
    h = layer_norm(x, w[p + "layer_norm2.weight"], w[p + "layer_norm2.bias"], dims.vision_eps)
    h = gelu_tanh(F.linear(h, w[p + "mlp.fc1.weight"], w[p + "mlp.fc1.bias"]))
    return x + F.linear(h, w[p + "mlp.fc2.weight"], w[p + "mlp.fc2.bias"])


def siglip(pixels, w, dims):
    """[F, 3, S, S] -> (embeddings [F, P, Cv], last layer output [F, P, Cv]); post_layernorm is not applied."""
    embeddings = patch_embed(pixels, w, dims)
    x = embeddings
    for i in range(dims.vision_layers):
        x = siglip_layer(x, w, i, dims)
    return embeddings, x


def projector(x, w):
    """[F, P, Cv] -> [F, P, H]: linear, exact (erf) GELU, linear."""
    h = F.linear(x, w[PROJECTOR + "linear_1.weight"], w[PROJECTOR + "linear_1.bias"])
    return F.linear(gelu_erf(h), w[PROJECTOR + "linear_2.weight"], w[PROJECTOR + "linear_2.bias"])


def pool(x, dims):
    """[F, 27*27, H] -> [F, 14*14, H]: bilinear resize of each frame's patch grid, align_corners=False."""
    frames, _, width = x.shape
    grid = x.view(frames, dims.grid, dims.grid, width).permute(0, 3, 1, 2)  # [F, H, 27, 27]
    out = F.interpolate(grid, size=(dims.pooled_grid, dims.pooled_grid), mode="bilinear", align_corners=False)
    return out.permute(0, 2, 3, 1).reshape(frames, dims.pooled_grid * dims.pooled_grid, width)


def video_features(pooled, w):
    """[F, 196, H] -> [F*196 + 1, H]: frames in order, then one image_newline for the whole video."""
    return torch.cat([pooled.reshape(-1, pooled.shape[-1]), w[NEWLINE][None]], dim=0)


def merge(input_ids, features, w, dims):
    """[T, H] embeddings with the <video> rows replaced, in order, by the feature rows (counts must match)."""
    ids = torch.tensor(input_ids, dtype=torch.int64)
    embeds = w[TEXT + "embed_tokens.weight"][ids].clone()  # [T, H]
    rows = (ids == dims.video_token).nonzero().flatten()
    if rows.numel() != features.shape[0]:
        raise ValueError("%d <video> rows but %d feature rows" % (rows.numel(), features.shape[0]))
    embeds[rows] = features
    return embeds

# ---------------------------------------------------------------------------------------------------------------
# Qwen2 decoder
# ---------------------------------------------------------------------------------------------------------------


def rope_tables(positions, head_dim, theta, dtype):
    """cos, sin [T, D] for integer positions: inv_freq_j = 1/theta^(2j/D), angle = pos * inv_freq, tables of
    [angle, angle], all in dtype."""
    exponents = torch.arange(0, head_dim, 2, dtype=torch.int64).to(dtype) / head_dim
    inv_freq = 1.0 / (theta ** exponents)  # [D/2]
    angles = positions.to(dtype)[:, None] * inv_freq[None, :]  # [T, D/2]
    doubled = torch.cat([angles, angles], dim=-1)  # [T, D]
    return doubled.cos(), doubled.sin()


def apply_rope(x, cos, sin):
    """NeoX half-split rotation of x [heads, T, D]: x*cos + [-x_hi, x_lo]*sin."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos[None] + rotated * sin[None]


class KvCache:
    """Per layer K (after RoPE) [Hkv, T, D] and V [Hkv, T, D], grown by concatenation."""

    def __init__(self, layers):
        self.k = [None] * layers
        self.v = [None] * layers

    @property
    def length(self):
        return 0 if self.k[0] is None else self.k[0].shape[1]

    def append(self, layer, k, v):
        if self.k[layer] is not None:
            k = torch.cat([self.k[layer], k], dim=1)
            v = torch.cat([self.v[layer], v], dim=1)
        self.k[layer], self.v[layer] = k, v
        return k, v


def decoder_layer(x, w, i, dims, cos, sin, positions, cache):
    """One Qwen2 layer on the residual stream [T, H]; the new K/V go to the cache before attention reads it."""
    p = TEXT + "layers.%d." % i
    tokens = x.shape[0]
    h = rms_norm(x, w[p + "input_layernorm.weight"], dims.eps)

    def project(name, heads):  # [T, H] -> [heads, T, D]
        y = F.linear(h, w[p + "self_attn.%s.weight" % name], w[p + "self_attn.%s.bias" % name])
        return y.view(tokens, heads, dims.head_dim).transpose(0, 1)

    q = apply_rope(project("q_proj", dims.heads), cos, sin)  # [Hq, T, D]
    k = apply_rope(project("k_proj", dims.kv_heads), cos, sin)  # [Hkv, T, D]
    v = project("v_proj", dims.kv_heads)  # [Hkv, T, D]
    k_all, v_all = cache.append(i, k, v)  # [Hkv, Tc + T, D]
    k_positions = torch.arange(k_all.shape[1], dtype=torch.int64)
    out = attention(q, k_all, v_all, positions, k_positions)  # [Hq, T, D]
    x = x + F.linear(out.transpose(0, 1).reshape(tokens, dims.heads * dims.head_dim), w[p + "self_attn.o_proj.weight"])
    h = rms_norm(x, w[p + "post_attention_layernorm.weight"], dims.eps)
    gate = F.silu(F.linear(h, w[p + "mlp.gate_proj.weight"]))
    return x + F.linear(gate * F.linear(h, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])


def decoder(embeds, w, dims, cache, logits_rows=None):
    """Runs embeds [T, H] at positions cache.length .. cache.length + T - 1 through every layer, extending cache.
    Returns (layer 0 output [T, H], final-norm output [T, H], logits [R, V] for logits_rows, default the last row)."""
    tokens = embeds.shape[0]
    positions = torch.arange(cache.length, cache.length + tokens, dtype=torch.int64)
    cos, sin = rope_tables(positions, dims.head_dim, dims.theta, embeds.dtype)
    x = embeds
    layer0 = None
    for i in range(dims.layers):
        x = decoder_layer(x, w, i, dims, cos, sin, positions, cache)
        if i == 0:
            layer0 = x
    normed = rms_norm(x, w[TEXT + "norm.weight"], dims.eps)
    rows = [tokens - 1] if logits_rows is None else logits_rows
    logits = F.linear(normed[rows], head_matrix(w, dims))  # [R, V]
    return layer0, normed, logits


def greedy(embeds, w, dims, max_new_tokens, stop_id):
    """Greedy decoding with a KV cache: prefill embeds [T, H], then one token at a time at position T + t.
    Returns (tokens, per-step logits [n, V], layer-0 output, final-norm output of the prefill). Stops after
    stop_id (kept in the output) or max_new_tokens."""
    cache = KvCache(dims.layers)
    layer0, normed, logits = decoder(embeds, w, dims, cache)
    tokens, step_logits = [], []
    embed = w[TEXT + "embed_tokens.weight"]
    while True:
        row = logits[-1]  # [V]
        step_logits.append(row)
        token = int(torch.argmax(row))  # first index among equal maxima
        tokens.append(token)
        if token == stop_id or len(tokens) == max_new_tokens:
            break
        _, _, logits = decoder(embed[token][None], w, dims, cache)
    return tokens, torch.stack(step_logits), layer0, normed


def forced_decode(embeds, w, dims, forced_ids):
    """Teacher-forced decoding with a KV cache: prefill embeds [T, H], then feed forced_ids one at a time at
    positions T, T+1, ...; row s of the result [n, V] is the logits after feeding forced_ids[s]. Unlike greedy
    output, which tiny random models tend to fill with one repeated id, this drives decode with varied tokens."""
    cache = KvCache(dims.layers)
    decoder(embeds, w, dims, cache)
    embed = w[TEXT + "embed_tokens.weight"]
    return torch.cat([decoder(embed[token][None], w, dims, cache)[2] for token in forced_ids])


def run(pixels, input_ids, w, dims, max_new_tokens, stop_id, forced_ids):
    """The whole video path for one video: returns ({stage name: tensor}, greedy tokens)."""
    embeddings, vision_out = siglip(pixels, w, dims)
    projected = projector(vision_out, w)
    pooled = pool(projected, dims)
    features = video_features(pooled, w)
    embeds = merge(input_ids, features, w, dims)
    tokens, step_logits, layer0, normed = greedy(embeds, w, dims, max_new_tokens, stop_id)
    stages = {"siglip_embed_frame0": embeddings[0], "siglip_out_frame0": vision_out[0], "projector_out": projected,
              "pooled": pooled, "video_features": features, "inputs_embeds": embeds, "layer0_out": layer0,
              "final_norm_out": normed, "last_logits": step_logits[0], "greedy_step_logits": step_logits,
              "forced_step_logits": forced_decode(embeds, w, dims, forced_ids)}
    return stages, tokens
