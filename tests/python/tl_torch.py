#!/usr/bin/python3
"""What can be checked of the TransformerLens bridge without TransformerLens (which Debian does
not package): that a grok transformer run's /state has exactly the parameter names and shapes
of a HookedTransformer built from tl_config(config), and that a float32 torch forward pass over
that state dict, written as HookedTransformer computes, gives the run's last training loss.

    /usr/bin/python3 tests/python/tl_torch.py RUN

The names and shapes below were written from TransformerLens's source (v2.16.1 and v3.5.1:
HookedTransformer.py, components/): they are what HookedTransformer(cfg).state_dict() holds."""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

from forward import read_run, tl_config, tokens


def tl_state_shapes(c):
    """HookedTransformer(HookedTransformerConfig(**c)).state_dict(): name -> shape. Entries
    that are buffers, not parameters, map to None: the attention's IGNORE (a scalar -inf) and
    mask (TransformerLens 2: [n_ctx, n_ctx]; 3 and later: [0, 0], built at forward time)."""
    D, H, E, M = c["d_model"], c["n_heads"], c["d_head"], c["d_mlp"]
    ln = c["normalization_type"] == "LN"
    s = {"embed.W_E": (c["d_vocab"], D), "pos_embed.W_pos": (c["n_ctx"], D)}
    for l in range(c["n_layers"]):
        B = "blocks.%d." % l
        if ln:
            s.update({B + "ln1.w": (D,), B + "ln1.b": (D,), B + "ln2.w": (D,), B + "ln2.b": (D,)})
        for n in "QKV":
            s[B + "attn.W_" + n] = (H, D, E)
            s[B + "attn.b_" + n] = (H, E)
        s.update({B + "attn.W_O": (H, E, D), B + "attn.b_O": (D,),
                  B + "attn.IGNORE": None, B + "attn.mask": None,
                  B + "mlp.W_in": (D, M), B + "mlp.b_in": (M,),
                  B + "mlp.W_out": (M, D), B + "mlp.b_out": (D,)})
    if ln:
        s.update({"ln_final.w": (D,), "ln_final.b": (D,)})
    s.update({"unembed.W_U": (D, c["d_vocab_out"]), "unembed.b_U": (c["d_vocab_out"],)})
    return s


def layer_norm(x, w, b, eps):
    x = x - x.mean(-1, keepdim=True)
    return x / (x.pow(2).mean(-1, keepdim=True) + eps).sqrt() * w + b


def tl_forward(c, sd, tok):
    """The logits [batch, pos, d_vocab_out] of HookedTransformer's forward, in float32."""
    act = {"relu": F.relu, "gelu": F.gelu}[c["act_fn"]]
    ln = c["normalization_type"] == "LN"
    x = sd["embed.W_E"][tok] + sd["pos_embed.W_pos"]
    T = tok.shape[1]
    for l in range(c["n_layers"]):
        B = "blocks.%d." % l
        a = layer_norm(x, sd[B + "ln1.w"], sd[B + "ln1.b"], c["eps"]) if ln else x
        q, k, v = (torch.einsum("bpd,hde->bphe", a, sd[B + "attn.W_" + n]) + sd[B + "attn.b_" + n]
                   for n in "QKV")
        scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(c["d_head"])
        if c["attention_dir"] == "causal":
            keep = torch.tril(torch.ones(T, T, dtype=torch.bool))
            scores = torch.where(keep, scores, torch.tensor(-math.inf))
        z = torch.einsum("bhqk,bkhe->bqhe", scores.softmax(-1), v)
        x = x + torch.einsum("bqhe,hed->bqd", z, sd[B + "attn.W_O"]) + sd[B + "attn.b_O"]
        m = layer_norm(x, sd[B + "ln2.w"], sd[B + "ln2.b"], c["eps"]) if ln else x
        x = x + act(m @ sd[B + "mlp.W_in"] + sd[B + "mlp.b_in"]) @ sd[B + "mlp.W_out"] + sd[B + "mlp.b_out"]
    if ln:
        x = layer_norm(x, sd["ln_final.w"], sd["ln_final.b"], c["eps"])
    return x @ sd["unembed.W_U"] + sd["unembed.b_U"]


def check(path):
    config, metrics, state, step, data = read_run(path)
    c = tl_config(config)
    want = tl_state_shapes(c)
    params = {k: s for k, s in want.items() if s is not None}
    have = {k: tuple(v.shape) for k, v in state.items()}
    if have != params:
        print("%s: /state is not TransformerLens's parameters: %s" % (path, sorted(set(have.items()) ^ set(params.items()))))
        return False
    # The state dict TransformerLens's load_state_dict takes (strict=False: IGNORE and mask).
    sd = {k: torch.from_numpy(v) for k, v in state.items()}
    tok = torch.from_numpy(tokens(config, data["train"]).astype(np.int64))
    logits = tl_forward(c, sd, tok)[:, 0 if config["readout"] == "first" else -1]
    y = torch.from_numpy(data["train_y"].astype(np.int64))
    loss = F.cross_entropy(logits.double(), y).item()
    want_loss = metrics["train_loss"][-1]
    print("%s step %d: torch float32 train_loss %.8f (grok-train %.8f, |diff| %.1e); "
          "/state holds the %d parameters of TransformerLens's state dict, %d buffers aside"
          % (path, step, loss, want_loss, abs(loss - want_loss), len(params), len(want) - len(params)))
    return abs(loss - want_loss) < 1e-5


if __name__ == "__main__":
    sys.exit(0 if all([check(path) for path in sys.argv[1:]]) else 1)
