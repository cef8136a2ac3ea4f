"""DeepSpeed ZeRO on CPU, two ranks over gloo (DS_ACCELERATOR=cpu), as CI can run it: ZeRO-2 and ZeRO-3
pretraining match one process with the same global batch, a ZeRO-3 run stopped and resumed ends where an
uninterrupted one ends, final/ is a plain HF checkpoint gathered from the shards, DPO trains under ZeRO-2.

Every two-rank run happens in one torchrun job (tests/distributed_runs.py), so the ~10 s import of the stack
is paid once; the single-process runs they are compared with run in this process.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from conftest import ROOT
from tinyllm.errors import TinyLLMError

# Tiny model, short windows, 6 steps: enough for Adam to move every weight well past float noise.
PRETRAIN = ["seq_len=64", "eval_windows=8", "max_steps=6", "save_every=3", "eval_every=0", "log_every=1",
            "warmup_steps=1", "lr=3e-3", "save_total_limit=0"]
PER_RANK_BATCH, RANKS = 4, 2


def pretrain_args(data_dir, out_dir, *overrides):
    return [str(ROOT / "recipes" / "ptm_tiny.yaml"), f"data_dir={data_dir}", f"out_dir={out_dir}", *PRETRAIN,
            *overrides]


def dpo_args(model, pref_data, out_dir, *overrides):
    return [str(ROOT / "recipes" / "dpo_tiny.yaml"), f"model={model}", f"data={pref_data}", f"out_dir={out_dir}",
            "max_length=256", "max_steps=4", "batch_size=2", "save_every=2", "log_every=1", "eval_pairs=8",
            "warmup_steps=1", "lr=1e-3", *overrides]


def sft_args(model, sft_data, out_dir, *overrides):
    return [str(ROOT / "recipes" / "sft_tiny.yaml"), f"model={model}", f"train_data={sft_data / 'train.pkl'}",
            f"val_data={sft_data / 'val.pkl'}", f"out_dir={out_dir}", "pack_len=768", "batch_size=2", "max_steps=3",
            "eval_every=0", "save_every=3", "log_every=1", "warmup_steps=1", *overrides]


def reward_args(model, pref_data, out_dir, *overrides):
    return [str(ROOT / "recipes" / "rm_tiny.yaml"), f"model={model}", f"data={pref_data}", f"out_dir={out_dir}",
            "max_length=256", "batch_size=2", "max_steps=3", "save_every=3", "log_every=1", "warmup_steps=1",
            "eval_pairs=8", *overrides]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_distributed(runs, workdir, timeout=420):
    """Run [stage, args] pairs one after another in one two-rank torchrun job; fail with its log."""
    runs_file = workdir / "runs.json"
    runs_file.write_text(json.dumps(runs))
    env = os.environ | {"OMP_NUM_THREADS": "1", "DS_ACCELERATOR": "cpu", "TOKENIZERS_PARALLELISM": "false"}
    log_file = workdir / "job.log"
    with open(log_file, "w") as log:
        # Its own session: on a timeout the ranks are killed too, not only torchrun (a hung collective
        # would otherwise leave them running).
        job = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={RANKS}",
                                f"--master_port={free_port()}", str(ROOT / "tests" / "distributed_runs.py"),
                                str(runs_file)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
        try:
            job.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()
    output = log_file.read_text()
    assert job.returncode == 0, output[-6000:]
    return output


def losses(run_dir, step):
    state = json.loads((run_dir / f"checkpoint-{step}" / "trainer_state.json").read_text())
    return [h["loss"] for h in state["log_history"] if "loss" in h]


def weights(run_dir):
    return load_file(run_dir / "final" / "model.safetensors")


@pytest.fixture(scope="module")
def pref_data(corpus_dir, tmp_path_factory):
    from data_prep.preference import build_preferences

    out = tmp_path_factory.mktemp("pref") / "pref"
    build_preferences([str(corpus_dir / "preferences_train.jsonl")], out,
                      heldout=[str(corpus_dir / "preferences_val.jsonl")])
    return out


@pytest.fixture(scope="module")
def runs(data_dir, pref_data, sft_data, tmp_path_factory):
    """One process with the global batch, then every two-rank run in one job."""
    from stages.pretrain import main as pretrain_main

    root = tmp_path_factory.mktemp("zero")
    pretrain_main(pretrain_args(data_dir, root / "single", f"batch_size={PER_RANK_BATCH * RANKS}"))
    ranked = f"batch_size={PER_RANK_BATCH}"
    log = run_distributed([
        ["pretrain", pretrain_args(data_dir, root / "zero2", ranked, "deepspeed=2")],
        ["pretrain", pretrain_args(data_dir, root / "zero3", ranked, "deepspeed=3")],
        ["pretrain", pretrain_args(data_dir, root / "zero3_resumed", ranked, "deepspeed=3", "stop_at_step=3")],
        ["pretrain", pretrain_args(data_dir, root / "zero3_resumed", ranked, "deepspeed=3", "resume=true")],
        # SFT, reward model and DPO start from the single-process model (its tokenizer has the chat template).
        *[[stage, make(root / "single" / "final", data, root / f"{stage}_zero{zero}", f"deepspeed={zero}")]
          for stage, make, data in (("sft", sft_args, sft_data), ("reward", reward_args, pref_data),
                                    ("dpo", dpo_args, pref_data))
          for zero in (2, 3)],
    ], root)
    return root, log


def test_zero2_and_zero3_pretraining_match_one_process_with_the_same_global_batch(runs):
    root, _ = runs
    single_losses, single = losses(root / "single", 6), weights(root / "single")
    for stage in ("zero2", "zero3"):
        run = json.loads((root / stage / "run.json").read_text())
        assert (run["zero_stage"], run["world_size"]) == (int(stage[-1]), RANKS)
        # Same windows in the same order, gradients averaged over the same 8 windows: only the order of float
        # additions differs (two half-batch sums and an all-reduce instead of one sum), which in fp32 is
        # rounding noise: measured 5e-7 on the losses and 1.2e-7 on the weights after 6 steps (CPU, 2 ranks).
        # The tolerances leave 20x and 800x room for other BLAS builds and reduction orders, yet are far
        # below what any real difference makes: one step at lr 3e-3 moves weights by up to ~3e-3, and a
        # different batch, a missed all-reduce, a lost or repeated step or another schedule all change the
        # step-2 loss by more than 1e-3.
        assert losses(root / stage, 6) == pytest.approx(single_losses, abs=1e-5), stage
        got = weights(root / stage)
        assert got.keys() == single.keys()
        for name, tensor in single.items():
            assert torch.allclose(got[name], tensor, rtol=0, atol=1e-4), (stage, name, (got[name] - tensor).abs().max())
    # The comparison means something: training moved the weights far more than the tolerance.
    from tinyllm.model import build_model

    start = build_model("tiny", single["model.embed_tokens.weight"].shape[0], 64, seed=1337).state_dict()
    moved = max((single[n] - start[n]).abs().max() for n in single)
    assert moved > 1e-2


def test_final_is_the_gathered_zero3_weights_and_loads_with_from_pretrained(runs):
    from transformers import AutoModelForCausalLM

    root, _ = runs
    for stage in ("zero2", "zero3"):
        final = root / stage / "final"
        assert not list(final.glob("*.bin")) and (final / "training_report.json").is_file()
        model = AutoModelForCausalLM.from_pretrained(final)
        state = model.state_dict()
        # The optimizer's fp32 weights as DeepSpeed itself assembles them from its partitions (written by
        # distributed_runs.py): final/ is those, every parameter at full size.
        engine = load_file(root / stage / "engine_weights.safetensors")
        assert engine.keys() <= state.keys()
        for name, tensor in engine.items():
            assert torch.equal(state[name], tensor), (stage, name)
        logits = model(torch.tensor([[1, 5, 7, 9]])).logits
        assert torch.isfinite(logits).all()


def test_zero_checkpoints_hold_every_ranks_shards_and_resume_ends_where_an_uninterrupted_run_ends(runs):
    root, log = runs
    resumed, uninterrupted = root / "zero3_resumed", root / "zero3"
    assert "resuming from" in log and str(resumed / "checkpoint-3") in log
    for run in (resumed, uninterrupted):
        assert not (run / ".staging").exists()
        for step in (3, 6):
            checkpoint = run / f"checkpoint-{step}"
            assert (checkpoint / "COMPLETE").is_file()
            shards = {p.name for p in (checkpoint / f"global_step{step}").iterdir()}
            for rank in range(RANKS):  # written by each rank before rank 0 renamed the checkpoint into place
                assert any(f"zero_pp_rank_{rank}_" in s and s.endswith("optim_states.pt") for s in shards), shards
                assert (checkpoint / f"rng_state_{rank}.pth").is_file()
    # Optimizer shards, schedule, data position and RNG all come back: the same losses and the same weights.
    assert losses(resumed, 6) == pytest.approx(losses(uninterrupted, 6), abs=1e-6)
    got, want = weights(resumed), weights(uninterrupted)
    for name in want:
        assert torch.allclose(got[name], want[name], atol=1e-6), name


def test_resuming_under_another_zero_stage_or_world_size_is_refused(runs, data_dir):
    from stages.pretrain import main as pretrain_main
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    root, _ = runs
    try:
        with pytest.raises(TinyLLMError, match=r"cannot resume, 'zero_stage' was 3 and is now 2 \(ZeRO checkpoints"):
            pretrain_main(pretrain_args(data_dir, root / "zero3", f"batch_size={PER_RANK_BATCH}", "deepspeed=2",
                                        "resume=true"))
        with pytest.raises(TinyLLMError, match=r"cannot resume, 'world_size' was 2 and is now 1 \(ZeRO optimizer"):
            pretrain_main(pretrain_args(data_dir, root / "zero2", f"batch_size={PER_RANK_BATCH}", "deepspeed=2",
                                        "resume=true"))
    finally:
        unset_hf_deepspeed_config()


def log_history(run_dir, step):
    return json.loads((run_dir / f"checkpoint-{step}" / "trainer_state.json").read_text())["log_history"]


def check_final(run_dir, auto_class, start):
    """final/ loads with from_pretrained, holds what the engine trained, and training moved it."""
    model = auto_class.from_pretrained(run_dir / "final")
    state = model.state_dict()
    for name, tensor in load_file(run_dir / "engine_weights.safetensors").items():
        assert torch.equal(state[name], tensor), (run_dir.name, name)
    assert max((state[n] - start[n]).abs().max() for n in start if n in state) > 1e-4, run_dir.name
    return model


@pytest.mark.parametrize("stage, steps", [("dpo", 4), ("sft", 3), ("reward", 3)])
def test_sft_reward_and_dpo_train_under_zero2_and_zero3_alike(runs, stage, steps):
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    root, _ = runs
    start = weights(root / "single")
    auto = AutoModelForSequenceClassification if stage == "reward" else AutoModelForCausalLM
    for zero in (2, 3):
        out = root / f"{stage}_zero{zero}"
        assert json.loads((out / "run.json").read_text())["zero_stage"] == zero
        assert json.loads((out / "report.json").read_text())["steps"] == steps
        check_final(out, auto, start)
    # The same global batches under both stages: ZeRO-3 partitions what ZeRO-2 keeps whole, the sums are the
    # same up to fp32 rounding (as in the pretraining comparison above).
    assert losses(root / f"{stage}_zero3", steps) == pytest.approx(losses(root / f"{stage}_zero2", steps), abs=1e-5)
    if stage == "dpo":
        for zero in (2, 3):
            first = log_history(root / f"dpo_zero{zero}", steps)[0]
            # Step 1: the policy is still the reference, so a working reference (under ZeRO-3 a partitioned
            # engine of its own, prepared by TRL) gives exactly zero reward margins; afterwards they move.
            assert first["step"] == 1 and abs(first["rewards/margins"]) < 1e-6, first
            report = json.loads((root / f"dpo_zero{zero}" / "report.json").read_text())
            assert report["heldout_reward_margin"] != 0 and 0 <= report["preference_accuracy"] <= 1
    if stage == "reward":
        for zero in (2, 3):  # the new score head was trained and saved, not left at its initialisation
            score = load_file(root / f"reward_zero{zero}" / "final" / "model.safetensors")["score.weight"]
            assert score.shape[0] == 1 and torch.isfinite(score).all()


def launch(env, *args):
    """recipes/launch.sh with DRY_RUN=1: the command it would run, as words."""
    done = subprocess.run(["bash", str(ROOT / "recipes" / "launch.sh"), *args], cwd=ROOT, capture_output=True,
                          text=True, env=os.environ | {"DRY_RUN": "1"} | env, timeout=60)
    assert done.returncode == 0, done.stderr
    header, command = done.stdout.strip().splitlines()
    return header, command.split()


def test_the_launcher_builds_the_node_commands_and_the_hostfile_command(tmp_path):
    node = {"N_NODES": "2", "N_GPUS": "8", "MASTER_ADDR": "10.0.0.1", "MASTER_PORT": "29600", "ZERO_STAGE": "3",
            "DS_DTYPE": "bf16", "RESUME": "1"}
    for rank in ("0", "1"):
        header, cmd = launch(node | {"NODE_RANK": rank}, "pretrain", "recipes/ptm_24m.yaml", "max_steps=10")
        assert cmd[:13] == ["torchrun", "--nnodes", "2", "--nproc_per_node", "8", "--node_rank", rank,
                            "--master_addr", "10.0.0.1", "--master_port", "29600", "-m", "stages.pretrain"]
        assert cmd[13:] == ["recipes/ptm_24m.yaml", "deepspeed=3", "dtype=bf16", "max_steps=10", "resume=true"]
        assert f"runs/ptm_24m/logs/pretrain_node{rank}_" in header  # the log goes to the run's own directory
    hostfile = tmp_path / "hostfile"
    hostfile.write_text("node0 slots=8\nnode1 slots=8\n")
    _, cmd = launch({"HOSTFILE": str(hostfile), "ZERO_STAGE": "2", "N_GPUS": "8"}, "sft", "recipes/sft_24m.yaml")
    assert cmd[:3] == ["deepspeed", "--hostfile", str(hostfile)] and "--no_local_rank" in cmd
    assert cmd[-4:] == ["--module", "stages.sft", "recipes/sft_24m.yaml", "deepspeed=2"]
    refused = subprocess.run(["bash", str(ROOT / "recipes" / "launch.sh"), "pretrain", "recipes/ptm_24m.yaml"],
                             cwd=ROOT, capture_output=True, text=True, env=os.environ | {"N_NODES": "2", "DRY_RUN": "1"})
    assert refused.returncode == 2 and "needs MASTER_ADDR" in refused.stderr


def test_zero_shards_load_weights_only_and_a_hostile_shard_runs_nothing(runs, tmp_path):
    """Resuming reads DeepSpeed's shards through torch's weights-only unpickler
    (tinyllm.patches.weights_only_deepspeed_loads): a real ZeRO-3 optimizer shard loads, one that would
    run a command on load is refused and the command never runs."""
    import pickle

    from deepspeed.runtime.checkpoint_engine.torch_checkpoint_engine import TorchCheckpointEngine

    from tinyllm import patches

    patches.apply(deepspeed=True)
    engine = TorchCheckpointEngine()
    root, _ = runs
    real = sorted((root / "zero3").glob("checkpoint-*/global_step*/*optim_states.pt"))
    assert real and isinstance(engine.load(str(real[0]), map_location="cpu"), dict)

    marker = tmp_path / "ran"

    class Hostile:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    hostile = tmp_path / "zero_pp_rank_0_mp_rank_00_optim_states.pt"
    hostile.write_bytes(pickle.dumps({"optimizer_state_dict": Hostile()}))
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        engine.load(str(hostile), map_location="cpu")
    assert not marker.exists()


def test_zero_configs_ship_as_package_data_and_the_recipe_links_resolve():
    """The ZeRO configs live in the package (tinyllm/deepspeed_configs), pyproject ships them as package
    data (a wheel has no recipes/), and recipes/deepspeed/ links to the same files for the launchers."""
    import fnmatch
    import tomllib

    import tinyllm
    from tinyllm.distributed import ZERO_CONFIGS, deepspeed_config_path, load_deepspeed_config

    package = Path(tinyllm.__file__).parent
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["tinyllm"]
    for choice, name in ZERO_CONFIGS.items():
        path = deepspeed_config_path(choice)
        assert path.parent == package / "deepspeed_configs" and path.is_file() and not path.is_symlink()
        assert any(fnmatch.fnmatch(f"deepspeed_configs/{name}", glob) for glob in shipped)
        assert (ROOT / "recipes" / "deepspeed" / name).resolve() == path.resolve()
        assert load_deepspeed_config(choice)["zero_optimization"]["stage"] == int(choice[0])
