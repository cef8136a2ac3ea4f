"""Mutation testing of the core modules with mutmut, one module at a time against its fast tests.

    python -m scripts.mutation                      # every module below
    python -m scripts.mutation loss sft_data        # some of them
    python -m scripts.mutation --scratch /tmp/mut   # where the copies go (default /tmp/tinyllm-mutation)
    python -m scripts.mutation --rev main --scratch /tmp/mut-main   # a commit instead of the working tree
    python -m scripts.mutation preference --jobs 2  # two mutants at a time (each on one thread)

Each module gets its own copy of the working tree (tracked and untracked, not ignored files) under
the scratch folder, a [tool.mutmut] section naming that module and its tests, and one
`nice -n 10 mutmut run --max-children JOBS` (default 1); the copy keeps mutmut's cache, so a second run only
retests what changed. Prints module | mutants | killed | survived | timeout | no tests | score,
and the surviving mutants' names (`cd SCRATCH/MODULE && mutmut show NAME` prints the diff).
The score is (killed + timeout) / (mutants - no tests), mutmut's own definition.
"""

import argparse
import collections
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# module -> (files mutated, test selection, pytest -k expression or ""). Small, fast selections:
# mutmut runs every test that reaches a mutated function once per mutant.
MODULES = {
    "loss": (["tinyllm/loss.py"],
             ["tests/tinyllm/test_loss.py",
              "tests/tinyllm/test_numerics.py::test_fp16_chunked_loss_gradients_match_fp32_as_well_as_the_plain_fp16_path"],
             "not test_pretraining_with_ce_chunk"),
    "sft_data": (["tinyllm/sft_data.py"],
                 ["tests/tinyllm/test_sft_data.py",
                  "tests/test_bad_inputs.py::test_safe_loads_round_trips_plain_data_and_refuses_globals",
                  "tests/test_bad_inputs.py::test_fuzzed_pickles_never_run_code_or_fail_otherwise"],
                 ""),
    "preference": (["tinyllm/preference.py"],
                   ["tests/tinyllm/test_preference_data.py",
                    "tests/tinyllm/test_numerics.py::test_implicit_reward_accuracy_is_k_of_n_pairs",
                    "tests/tinyllm/test_numerics.py::test_flipped_pairs_count_each_way_and_account_for_the_change_in_accuracy"],
                   ""),
    "checkpoints": (["tinyllm/checkpoints.py", "tinyllm/rundir.py"], ["tests/tinyllm/test_checkpoints_unit.py"], ""),
}
ALSO_COPY = ["stages/", "data_prep/", "eval/", "scripts/", "recipes/"]


def config(files: list[str], tests: list[str], select: str) -> str:
    args = ["-p", "no:cacheprovider", "-x", "-q", "-m", "not e2e"] + (["-k", select] if select else [])

    def toml_list(items):
        return "[" + ", ".join(f'"{x}"' for x in items) + "]"

    return ("\n[tool.mutmut]\n"
            'source_paths = ["tinyllm/"]\n'
            # torch is not fork-safe once its thread pools have run: fork each mutant from a clean server
            'process_isolation = "forkserver"\n'
            # mutmut limits each mutant to (estimated test time + constant) * 30 CPU seconds; a forked mutant may
            # rebuild a session fixture (the preference tests' tokenizer: 11 s) that the estimate never saw
            "timeout_constant = 5.0\n"
            f"only_mutate = {toml_list(files)}\n"
            f"also_copy = {toml_list(ALSO_COPY)}\n"
            f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
            f"pytest_add_cli_args = {toml_list(args)}\n")


def copy_tree(dest: Path, rev: str | None = None) -> None:
    """The working tree as git sees it (so new, uncommitted tests count), without ignored files; or commit `rev`."""
    if rev is not None:
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src, dst = ROOT / name, dest / name
        if not src.is_file():
            continue  # deleted in the working tree
        if dst.is_file() and dst.read_bytes() == src.read_bytes():
            continue  # unchanged: keeps mutmut's cache valid
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def run_module(name: str, scratch: Path, rev: str | None = None, jobs: int = 1) -> tuple[collections.Counter, list[str]]:
    files, tests, select = MODULES[name]
    work = scratch / name
    work.mkdir(parents=True, exist_ok=True)
    copy_tree(work, rev)
    tests = [t for t in tests if (work / t.split("::")[0]).is_file()]  # (an older rev may lack a test file)
    if not tests:
        print(f"{name}: no test file of its selection exists at {rev}")
        return collections.Counter(), []
    pyproject = work / "pyproject.toml"
    pyproject.write_text((ROOT / "pyproject.toml").read_text() + config(files, tests, select))
    # PYTHONPATH would put another checkout before mutants/; one thread: a shared CPU, and no pool to fork.
    # The corpus and tokenizer fixtures are made once per run (tests/conftest.py: made_once), not once per mutant.
    fixtures = work / "fixture-cache"
    shutil.rmtree(fixtures, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TINYLLM_TEST_FIXTURE_CACHE": str(fixtures)}
    subprocess.run(["nice", "-n", "10", sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs)], cwd=work,
                   env=env, check=True)
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=work, env=env, check=True,
                         capture_output=True, text=True).stdout
    counts, survivors = collections.Counter(), []
    for line in out.splitlines():
        if ": " not in line:
            continue
        mutant, status = line.strip().rsplit(": ", 1)
        counts[status] += 1
        if status == "survived":
            survivors.append(mutant)
    return counts, survivors


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"some of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/tinyllm-mutation"))
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once, one thread each (default 1)")
    parser.add_argument("--rev", help="test a commit instead of the working tree (e.g. the tests before a change)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; known: {', '.join(MODULES)}")
    rows = []
    for name in args.modules or list(MODULES):
        counts, survivors = run_module(name, args.scratch, args.rev, args.jobs)
        rows.append((name, counts, survivors))
    print("\n| module | mutants | killed | survived | timeout | no tests | score |")
    print("|---|---|---|---|---|---|---|")
    for name, c, _ in rows:
        total = sum(c.values())
        tested = total - c["no tests"] - c["skipped"]
        score = (c["killed"] + c["timeout"]) / tested if tested else 0.0
        print(f"| {name} | {total} | {c['killed']} | {c['survived']} | {c['timeout']} | {c['no tests']} | {score:.1%} |")
    for name, c, survivors in rows:
        other = {k: v for k, v in c.items() if k not in ("killed", "survived", "timeout", "no tests")}
        if other:
            print(f"{name}: other outcomes {other}")
        for mutant in survivors:
            print(f"survived {name}: {mutant}")


if __name__ == "__main__":
    main()
