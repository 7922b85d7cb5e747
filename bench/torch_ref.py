"""A PyTorch reference for grok-train's models, written for the benchmark (bench/bench.py).

It rebuilds a run's model from the run file itself: the shape from /config, the parameters from a
snapshot (TransformerLens names and shapes, as grok-train writes them), the training pairs from
/data. The forward pass is the one a researcher would write in PyTorch: whole-batch einsums per
projection, softmax attention over every position, the MLP on every position. It does not use
grok-train's algebraic shortcuts, so an agreement between the two also checks those.

Only the benchmark needs this file (and python3-torch, python3-h5py, from `make bench-deps`).
"""
import math
import random

import h5py
import numpy as np
import torch
import torch.nn.functional as F


def _attr(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    return v


def read_config(path):
    with h5py.File(path, "r") as f:
        return {k: _attr(v) for k, v in f["/config"].attrs.items()}


def read_params(path, step_index=0):
    """The parameters of one snapshot row (step 0 by default) as float32 tensors by name."""
    with h5py.File(path, "r") as f:
        snaps = f["/snapshots"]
        return {name: torch.from_numpy(np.array(snaps[name][step_index], dtype=np.float32))
                for name in snaps if name != "step"}


def context_tokens(cfg, ab):
    """The context of each operand pair (grok_ctx_tokens): '=' is token p, the operation p+1."""
    p = cfg["p"]
    a, b = ab[:, 0], ab[:, 1]
    eq = np.full_like(a, p)
    cols = {"ab=": [a, b, eq], "ab": [a, b], "aob=": [a, np.full_like(a, p + 1), b, eq]}[cfg["ctx"]]
    return torch.from_numpy(np.stack(cols, axis=1).astype(np.int64))


def read_set(path, cfg, name="train"):
    """The contexts and labels of /data/train or /data/test."""
    with h5py.File(path, "r") as f:
        ab = np.array(f[f"/data/{name}"], dtype=np.int64)
        y = np.array(f[f"/data/{name}_y"], dtype=np.int64)
    return context_tokens(cfg, ab), torch.from_numpy(y)


def read_train_set(path, cfg):
    return read_set(path, cfg, "train")


class Model(torch.nn.Module):
    """grok's transformer (TransformerLens conventions) or MLP, with parameters named as in the
    run file so that a snapshot loads one-to-one."""

    def __init__(self, cfg, params):
        super().__init__()
        self.cfg = cfg
        self.names = sorted(params)
        # a '.' is not allowed in a parameter's attribute name; the dict keeps the run's names
        self.p = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v.clone())
                                         for k, v in params.items()})
        self.act = {"relu": F.relu, "gelu": F.gelu, "quad": lambda x: x * x}[cfg["act"]]

    def w(self, name):
        return self.p[name.replace(".", "__")]

    def has(self, name):
        return name.replace(".", "__") in self.p

    def forward(self, tok):
        return self.transformer(tok) if self.cfg["model"] == "transformer" else self.mlp(tok)

    def layernorm(self, x, name):
        return F.layer_norm(x, x.shape[-1:], self.w(name + ".w"), self.w(name + ".b"), eps=1e-5)

    def transformer(self, tok):
        return self.transformer_from(self.embed(tok))

    def embed(self, tok):
        """The continuous input: token plus position embeddings (transformer), the flattened
        embedding, one-hot codes or ids (MLP)."""
        c = self.cfg
        if c["model"] == "transformer":
            return self.w("embed.W_E")[tok] + self.w("pos_embed.W_pos")[:tok.shape[1]]
        if c["embed"] == "onehot":
            return F.one_hot(tok, c["d_vocab"]).float().flatten(1)
        if c["embed"] == "raw":
            return tok.float()
        return self.w("embed.W_E")[tok].flatten(1)

    def from_input(self, x):
        return self.transformer_from(x) if self.cfg["model"] == "transformer" else self.mlp_from(x)

    def transformer_from(self, x):
        c, w = self.cfg, self.w
        T = x.shape[1]
        pre = c["norm"] == "pre"
        mask = None
        if c["attn"] == "causal":
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), diagonal=1)
        for l in range(c["n_layers"]):
            b = f"blocks.{l}."
            a_in = self.layernorm(x, b + "ln1") if pre else x
            q = torch.einsum("btd,hde->bhte", a_in, w(b + "attn.W_Q")) + w(b + "attn.b_Q")[:, None, :]
            k = torch.einsum("btd,hde->bhte", a_in, w(b + "attn.W_K")) + w(b + "attn.b_K")[:, None, :]
            v = torch.einsum("btd,hde->bhte", a_in, w(b + "attn.W_V")) + w(b + "attn.b_V")[:, None, :]
            scores = q @ k.transpose(-1, -2) / math.sqrt(c["d_head"])
            if mask is not None:
                scores = scores.masked_fill(mask, float("-inf"))
            z = scores.softmax(dim=-1) @ v                                  # (B, H, T, E)
            x = x + torch.einsum("bhte,hed->btd", z, w(b + "attn.W_O")) + w(b + "attn.b_O")
            m_in = self.layernorm(x, b + "ln2") if pre else x
            h = self.act(m_in @ w(b + "mlp.W_in") + w(b + "mlp.b_in"))
            self.mlp_post = h                       # the last block's, for the progress measures
            x = x + h @ w(b + "mlp.W_out") + w(b + "mlp.b_out")
        r = x[:, T - 1 if c["readout"] == "last" else 0]
        if pre:
            r = self.layernorm(r, "ln_final")
        return r @ w("unembed.W_U") + w("unembed.b_U")

    def mlp(self, tok):
        return self.mlp_from(self.embed(tok))

    def mlp_from(self, x):
        i = 0
        while self.has(f"mlp.{i}.W"):
            x = self.act(x @ self.w(f"mlp.{i}.W") + self.w(f"mlp.{i}.b"))
            i += 1
        return x @ self.w("unembed.W_U") + self.w("unembed.b_U")


def loss_fn(cfg, logits, y):
    if cfg["loss"] == "mse":
        return ((logits - F.one_hot(y, logits.shape[1]).float()) ** 2).mean()
    return F.cross_entropy(logits, y)


def optimizer(cfg, model):
    """The optimiser grok-train's /config names, with torch's own implementation, and the
    linear warm-up as a LambdaLR (lr · min(1, steps done / warmup))."""
    ps = list(model.parameters())
    betas = (cfg["beta1"], cfg["beta2"])
    if cfg["opt"] == "adamw":
        opt = torch.optim.AdamW(ps, lr=cfg["lr"], betas=betas, eps=cfg["eps"], weight_decay=cfg["wd"])
    elif cfg["opt"] == "adam":
        opt = torch.optim.Adam(ps, lr=cfg["lr"], betas=betas, eps=cfg["eps"], weight_decay=cfg["wd"])
    else:
        opt = torch.optim.SGD(ps, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=cfg["wd"])
    warm = cfg["warmup"]
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / warm) if warm > 0 else 1.0)
    return opt, sched


def train_step(cfg, model, opt, sched, tok, y):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(cfg, model(tok), y)
    loss.backward()
    if cfg["clip"] > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
    opt.step()
    sched.step()
    return loss.item()


class GslDraws:
    """gsl_rng_uniform_int over GSL's mt19937, continued from a state grok-train wrote to
    /state/rng, so that the reference draws the same minibatches as grok-train.

    GSL's state is {unsigned long mt[624]; int mti;}: on x86-64, words 0..623 of /state/rng hold
    mt (32-bit values in 64-bit words) and the low half of word 624 holds mti. Python's random
    module runs the same MT19937 generator, so its state is set to GSL's directly."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            if _attr(f["/state"].attrs["rng_type"]) != "mt19937":
                raise ValueError(f"{path}: /state/rng is not mt19937")
            words = np.array(f["/state/rng"], dtype=np.int64).view(np.uint64)
        mt = tuple(int(x) & 0xFFFFFFFF for x in words[:624])
        mti = int(words[624]) & 0xFFFFFFFF
        self.r = random.Random()
        self.r.setstate((3, mt + (mti,), None))

    def uniform_int(self, n):
        # gsl_rng_uniform_int: scale the generator's range down, reject the top remainder
        scale = 0xFFFFFFFF // n
        while True:
            k = self.r.getrandbits(32) // scale
            if k < n:
                return k


def agreement(cfg, params, tok, y, draws, steps):
    """The full training-set loss before the first step and after each of `steps` steps, the
    minibatches drawn as grok-train draws them."""
    torch.manual_seed(0)
    model = Model(cfg, params)
    opt, sched = optimizer(cfg, model)
    n = tok.shape[0]

    def full_loss():
        with torch.no_grad():
            return loss_fn(cfg, model(tok), y).item()

    losses = [full_loss()]
    for _ in range(steps):
        if cfg["batch"] == 0:
            bt, by = tok, y
        else:
            idx = torch.tensor([draws.uniform_int(n) for _ in range(cfg["batch"])])
            bt, by = tok[idx], y[idx]
        train_step(cfg, model, opt, sched, bt, by)
        losses.append(full_loss())
    return losses
