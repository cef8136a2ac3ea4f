"""tinyllm: the shared package behind every stage (model sizes, tokenizer, shards, recipes, engine).

Heavy libraries (torch, transformers) are imported by the submodules that need them, so that
`--help` of every command stays fast.
"""

__version__ = "0.1.0"
