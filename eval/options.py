"""What an evaluation run is told: the typed options every suite takes, and the suites' names.

    from eval.options import EvalOptions
    EvalOptions(suites=["ppl", "cloze"], limit=50)   # what eval.run builds from its flags

`eval.run` builds one from its command line and `stages.quantize` from its recipe; results
record it with `dataclasses.asdict` as their `settings`.
"""

from dataclasses import dataclass, field
from pathlib import Path

from eval.tasks import check_task_specs
from tinyllm.errors import TinyLLMError
from tinyllm.generate import SamplingOptions

BENCH_DIR = str(Path(__file__).resolve().parent / "benchmarks")
DEFAULT_PPL_DATA = "synthetic:test:200:1000"
DEFAULT_PROMPTS = ("prompts_en.jsonl", "prompts_zh.jsonl")
# The suites in the order they run (eval.suites.SUITES maps each name to its function).
SUITE_NAMES = ("ppl", "cloze", "qa", "arithmetic", "samples", "dialogue")
# The samples suite's sampled mode (its greedy mode uses the same length and cache).
SAMPLED = SamplingOptions(do_sample=True, temperature=0.8, top_p=0.95, max_new_tokens=64)


@dataclass
class EvalOptions:
    suites: list[str] | None = None    # None: all but dialogue (plus dialogue when `dialogues` is given);
                                       # none at all when `tasks` are given
    limit: int | None = None           # first N items of each benchmark, N documents, N prompts per file
    ppl_data: str = DEFAULT_PPL_DATA   # shard directory, text / JSONL file, or synthetic:SPLIT:N:SEED
    prompts: list[str] | None = None   # prompt set JSONL files for samples (None: the hand-written sets)
    dialogues: str | None = None       # messages-format JSONL for the dialogue suite
    bench_dir: str = BENCH_DIR         # benchmark files
    reply_tokens: int = 32             # per chat reply in qa / dialogue
    batch_size: int = 32
    sampling: SamplingOptions = field(default_factory=lambda: SamplingOptions(**vars(SAMPLED)))
    tasks: list[str] = field(default_factory=list)  # standard tasks, KIND[:NAME]=PATH (eval.tasks)
    shots: int = 0                     # k-shot examples before each standard task's item
    seed: int = 1234                   # which examples the random few-shot sampler draws

    def __post_init__(self):
        if self.suites:
            self.suites = parse_suites(self.suites)
        elif self.suites is None:
            self.suites = [] if self.tasks else [s for s in SUITE_NAMES if s != "dialogue" or self.dialogues]

    def check(self) -> "EvalOptions":
        if self.limit is not None and self.limit < 1:
            raise TinyLLMError(f"--limit must be at least 1, got {self.limit}")
        if "dialogue" in self.suites and not self.dialogues:
            raise TinyLLMError("the dialogue suite needs --dialogues FILE (messages-format JSONL)")
        if self.batch_size < 1 or self.reply_tokens < 1:
            raise TinyLLMError("--batch-size and --reply-tokens must be at least 1")
        if self.shots < 0:
            raise TinyLLMError(f"--shots must be at least 0, got {self.shots}")
        check_task_specs(self.tasks, SUITE_NAMES)  # task names must not clash with the suites'
        self.sampling.check()
        return self

    def greedy(self, max_new_tokens: int) -> SamplingOptions:
        """Greedy decoding of `max_new_tokens` with this run's cache choice."""
        return SamplingOptions(max_new_tokens=max_new_tokens, cache=self.sampling.cache)


def parse_suites(values) -> list[str]:
    """Suite names from repeatable / comma-separated values, each known, in the order first given."""
    names = [s.strip() for v in values for s in v.split(",") if s.strip()]
    for s in names:
        if s not in SUITE_NAMES:
            raise TinyLLMError(f"unknown suite '{s}' (choose from {', '.join(SUITE_NAMES)})")
    return list(dict.fromkeys(names))
