"""tinyllm: the shared package behind every stage (model sizes, tokenizer, shards, recipes, the training
driver and what it is made of: hardware, run directories, checkpoints, training arguments, DeepSpeed,
progress). Changes to dependencies' behaviour live in tinyllm.patches and are applied by entry points.

Heavy libraries (torch, transformers) are imported by the submodules that need them, so that
`--help` of every command stays fast.
"""

__version__ = "0.1.0"
