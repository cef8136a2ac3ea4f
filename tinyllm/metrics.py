"""Reference numbers a trained model is compared with."""

import numpy as np


def unigram_cross_entropy(train_stream, targets: np.ndarray, vocab_size: int, chunk: int = 1 << 24) -> float:
    """Cross-entropy (nats/token) of `targets` under the train split's add-one-smoothed unigram.

    The floor any language model must beat: it knows token frequencies and nothing else.
    """
    counts = np.zeros(vocab_size, dtype=np.int64)
    for start in range(0, len(train_stream), chunk):
        ids = train_stream.read(start, min(chunk, len(train_stream) - start))
        counts += np.bincount(ids, minlength=vocab_size)
    log_p = np.log(counts + 1.0) - np.log(counts.sum() + vocab_size)
    return float(-log_p[targets].mean())
