#!/usr/bin/python3
"""Reads a grok run with h5py and recomputes its final training and test loss and accuracy
from /state and /data with a numpy forward pass in TransformerLens's conventions.

    /usr/bin/python3 tests/python/forward.py RUN

prints one line per set and exits 1 when a loss differs from the run's last /metrics row by
1e-5 or more, or an accuracy differs at all. doc/python.md shows this file piece by piece
(tests/cli/t-python.sh checks that every piece is still here, verbatim)."""
import math
import sys

import h5py
import numpy as np


def text(v):
    """grok's strings are fixed-length and come back as bytes; another writer's may be str."""
    return v.decode() if isinstance(v, bytes) else v


def read_run(path):
    """The run's /config (a dict), /metrics (column -> array), the parameters in /state
    (TransformerLens name -> array) with its step, and /data (the split)."""
    with h5py.File(path, "r") as f:
        assert text(f.attrs["format"]) == "grok-run" and f.attrs["format_version"] <= 1
        config = {k: text(v) if isinstance(v, (bytes, str)) else v.item()
                  for k, v in f["config"].attrs.items()}
        metrics = {k: d[()] for k, d in f["metrics"].items()}     # step first
        # /state also holds what --resume needs and is no parameter: the group opt (Adam's
        # moments), the dataset rng, and with gradient transforms the group transforms.
        state = {k: d[()] for k, d in f["state"].items()
                 if isinstance(d, h5py.Dataset) and k != "rng"}
        step = int(f["state"].attrs["step"])
        data = {k: d[()] for k, d in f["data"].items()}           # train, train_y, test, test_y
    return config, metrics, state, step, data


def trajectory(path, name):
    """One parameter's snapshots as one array [T, shape...], and their steps [T]."""
    with h5py.File(path, "r") as f:
        steps = f["snapshots/step"][()]
        # /snapshots/step is authoritative: a parameter may hold more rows after a crash.
        return f["snapshots/" + name][:len(steps)], steps


def tokens(config, pairs):
    """The contexts of the operand pairs [N, 2]: [N, n_ctx] token ids. The residues 0..p-1 are
    their own tokens, '=' is p and the operation symbol p+1."""
    p = config["p"]
    a, b = pairs[:, 0], pairs[:, 1]
    eq, op = np.full_like(a, p), np.full_like(a, p + 1)
    layout = {"ab=": [a, b, eq], "ab": [a, b], "aob=": [a, op, b, eq]}[config["ctx"]]
    return np.stack(layout, axis=1)


def erf(x):
    return np.vectorize(math.erf)(x)


ACT = {
    "relu": lambda x: np.maximum(x, 0),
    "gelu": lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),   # exact GELU, TL's "gelu"
    "quad": lambda x: x * x,                                     # the MLP model only
}


def layer_norm(x, w, b, eps=1e-5):
    """TransformerLens's LayerNorm: biased variance, eps inside the square root."""
    x = x - x.mean(-1, keepdims=True)
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w + b


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def transformer_logits(config, P, tok):
    """The logits [N, d_vocab_out] at the readout position of grok's transformer, written as
    TransformerLens's HookedTransformer computes every position."""
    act, norm = ACT[config["act"]], config["norm"] == "pre"
    n_ctx = tok.shape[1]
    x = P["embed.W_E"][tok] + P["pos_embed.W_pos"]              # [batch, pos, d_model]
    allowed = np.ones((n_ctx, n_ctx), bool)                      # [query, key]
    if config["attn"] == "causal":
        allowed = np.tril(allowed)
    for l in range(config["n_layers"]):
        B = "blocks.%d." % l
        a = layer_norm(x, P[B + "ln1.w"], P[B + "ln1.b"]) if norm else x
        q = np.einsum("bpd,hde->bphe", a, P[B + "attn.W_Q"]) + P[B + "attn.b_Q"]
        k = np.einsum("bpd,hde->bphe", a, P[B + "attn.W_K"]) + P[B + "attn.b_K"]
        v = np.einsum("bpd,hde->bphe", a, P[B + "attn.W_V"]) + P[B + "attn.b_V"]
        scores = np.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(config["d_head"])
        pattern = softmax(np.where(allowed, scores, -np.inf))
        z = np.einsum("bhqk,bkhe->bqhe", pattern, v)
        x = x + np.einsum("bqhe,hed->bqd", z, P[B + "attn.W_O"]) + P[B + "attn.b_O"]
        m = layer_norm(x, P[B + "ln2.w"], P[B + "ln2.b"]) if norm else x
        pre = m @ P[B + "mlp.W_in"] + P[B + "mlp.b_in"]
        x = x + act(pre) @ P[B + "mlp.W_out"] + P[B + "mlp.b_out"]
    r = x[:, 0 if config["readout"] == "first" else n_ctx - 1]
    if norm:
        r = layer_norm(r, P["ln_final.w"], P["ln_final.b"])
    return r @ P["unembed.W_U"] + P["unembed.b_U"]


def mlp_logits(config, P, tok):
    """The logits of grok's MLP: the context's token embeddings (or one-hot codes, or raw
    ids) concatenated, then act(h W + b) per hidden layer; no position embedding."""
    act, embed = ACT[config["act"]], config["embed"]
    if embed == "onehot":
        h = np.eye(config["d_vocab"])[tok].reshape(len(tok), -1)
    elif embed == "raw":
        h = tok.astype(np.float64)
    else:
        h = P["embed.W_E"][tok].reshape(len(tok), -1)
    for i in range(len(config["hidden"].split(","))):
        h = act(h @ P["mlp.%d.W" % i] + P["mlp.%d.b" % i])
    return h @ P["unembed.W_U"] + P["unembed.b_U"]


def loss_and_correct(config, logits, y):
    """The mean loss (cross-entropy, or squared error against one-hot averaged over the
    outputs) and the number of examples whose largest logit (the first, on a tie) is y."""
    if config["loss"] == "ce":
        s = logits - logits.max(1, keepdims=True)
        losses = np.log(np.exp(s).sum(1)) - s[np.arange(len(y)), y]
    else:
        losses = ((logits - np.eye(logits.shape[1])[y]) ** 2).mean(1)
    return losses.mean(), int((logits.argmax(1) == y).sum())


def tl_config(config):
    """HookedTransformerConfig's arguments for a grok transformer run. The readout is not
    among them: take the logits at position 0 (first) or n_ctx-1 (last)."""
    assert config["model"] == "transformer"
    return dict(
        n_layers=config["n_layers"], d_model=config["d_model"], n_ctx=config["n_ctx"],
        d_head=config["d_head"], n_heads=config["n_heads"], d_mlp=config["d_mlp"],
        d_vocab=config["d_vocab"], d_vocab_out=config["d_vocab_out"],
        act_fn=config["act"],                                   # "relu" or "gelu" (exact)
        normalization_type="LN" if config["norm"] == "pre" else None,
        attention_dir="causal" if config["attn"] == "causal" else "bidirectional",
        attn_only=False, positional_embedding_type="standard",
        eps=1e-5, use_attn_scale=True,                          # scores / sqrt(d_head)
        default_prepend_bos=False, device="cpu",
    )


def check(path):
    """Recomputes the last evaluation of the run at path; True when it agrees."""
    config, metrics, state, step, data = read_run(path)
    P = {k: v.astype(np.float64) for k, v in state.items()}
    forward = transformer_logits if config["model"] == "transformer" else mlp_logits
    assert metrics["step"][-1] == step, "the last evaluation is not at /state's step"
    ok = True
    for split in ("train", "test"):
        y = data[split + "_y"]
        loss, correct = loss_and_correct(config, forward(config, P, tokens(config, data[split])), y)
        want_loss = metrics[split + "_loss"][-1]
        want_correct = round(metrics[split + "_acc"][-1] * len(y))
        good = abs(loss - want_loss) < 1e-5 and correct == want_correct
        print("%s step %d: %s_loss %.8f (grok-train %.8f, |diff| %.1e), %s_acc %d/%d (grok-train %d/%d)"
              % (path, step, split, loss, want_loss, abs(loss - want_loss), split, correct, len(y),
                 want_correct, len(y)))
        ok = ok and good
    return ok


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: forward.py RUN...")
    sys.exit(0 if all([check(path) for path in sys.argv[1:]]) else 1)
