"""tinyllm: the shared package behind every stage (model sizes, tokenizer, shards, recipes, engine).

Heavy libraries (torch, transformers) are imported by the submodules that need them, so that
`--help` of every command stays fast.
"""

import logging
import warnings

__version__ = "0.1.0"

# bitsandbytes warns on every import on CPUs with AVX512-BF16 that an optional hub kernel is
# missing; the suite never downloads it and the built-in CPU path is used instead.
logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(logging.ERROR)

# transformers 5.23 renamed gradient to activation checkpointing; the Trainer and TRL still call
# the old name on every step. Nothing for a user to change, so the warning is not shown.
warnings.filterwarnings("ignore", message=r".*is_gradient_checkpointing.* is deprecated", category=FutureWarning)
