"""Checkpoint manifests, which checkpoint a resume takes, and the run directory's resume checks, without training."""

import json

import pytest

from tinyllm.checkpoints import (COMPLETE, MANIFEST_FORMAT, checkpoint_path, complete_checkpoints, latest_checkpoint,
                                 resumable_checkpoint, verify_checkpoint, write_manifest)
from tinyllm.errors import TinyLLMError
from tinyllm.fingerprints import sha256_file


def checkpoint(out, step, files=None):
    path = checkpoint_path(out, step)
    for name, text in (files or {"model.safetensors": "weights", "sub/rng_state.pth": "rng"}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    write_manifest(path)
    return path


def test_the_manifest_lists_every_file_but_itself_with_size_and_checksum(tmp_path):
    path = checkpoint(tmp_path, 5)
    assert path == tmp_path / "checkpoint-5"
    manifest = json.loads((path / COMPLETE).read_text())
    assert manifest == {"format": MANIFEST_FORMAT, "version": 1, "files": {
        "model.safetensors": {"size": 7, "sha256": sha256_file(path / "model.safetensors")},
        "sub/rng_state.pth": {"size": 3, "sha256": sha256_file(path / "sub/rng_state.pth")}}}
    assert verify_checkpoint(path) is None
    write_manifest(path)  # again, with COMPLETE present: still not listed
    assert set(json.loads((path / COMPLETE).read_text())["files"]) == {"model.safetensors", "sub/rng_state.pth"}


@pytest.mark.parametrize("damage, problem", [
    (lambda p: (p / COMPLETE).unlink(), "COMPLETE is missing or unreadable"),
    (lambda p: (p / COMPLETE).write_text("{cut"), "COMPLETE is missing or unreadable"),
    (lambda p: (p / COMPLETE).write_bytes(b"\xff\xfe"), "COMPLETE is missing or unreadable"),
    (lambda p: (p / COMPLETE).write_text("[]"), "COMPLETE holds no manifest (a checkpoint from an older tinyllm or copied by hand)"),
    (lambda p: (p / COMPLETE).write_text('{"format": "x", "files": {}}'), "COMPLETE holds no manifest"),
    (lambda p: (p / "sub/rng_state.pth").unlink(), "sub/rng_state.pth is missing"),
    (lambda p: (p / "model.safetensors").write_text("weigh"),
     "model.safetensors is 5 bytes, the manifest says 7 (truncated or replaced)"),
    (lambda p: (p / "model.safetensors").write_text("WEIGHTS"),
     "model.safetensors does not match its checksum (corrupted or replaced)"),
    (lambda p: (p / COMPLETE).write_text(json.dumps({"format": MANIFEST_FORMAT})), f"{COMPLETE} lists no files"),
    (lambda p: (p / COMPLETE).write_text(json.dumps({"format": MANIFEST_FORMAT, "files": {}})),
     f"{COMPLETE} lists no files"),
])
def test_verify_names_what_is_wrong(tmp_path, damage, problem):
    path = checkpoint(tmp_path, 1)
    damage(path)
    assert verify_checkpoint(path).startswith(problem)


def test_complete_checkpoints_are_numbered_directories_with_their_marker_in_step_order(tmp_path):
    assert complete_checkpoints(tmp_path) == [] and latest_checkpoint(tmp_path) is None
    for step in (10, 2, 1):
        checkpoint(tmp_path, step)
    (tmp_path / "checkpoint-3").mkdir()  # cut off before its marker
    (tmp_path / "checkpoint-x").mkdir()
    (tmp_path / "checkpoint-x" / COMPLETE).write_text("{}")
    (tmp_path / "checkpoint-4").write_text("a file")
    (tmp_path / "other-7").mkdir()
    (tmp_path / "other-7" / COMPLETE).write_text("{}")
    assert complete_checkpoints(tmp_path) == [tmp_path / f"checkpoint-{s}" for s in (1, 2, 10)]
    assert latest_checkpoint(tmp_path) == tmp_path / "checkpoint-10"


def test_resume_takes_the_newest_checkpoint_that_verifies_and_says_what_it_skipped(tmp_path):
    for step in (1, 2, 3):
        checkpoint(tmp_path, step)
    (tmp_path / "checkpoint-3" / "model.safetensors").write_text("WEIGHTS")
    (tmp_path / "checkpoint-2" / "sub" / "rng_state.pth").unlink()
    said = []
    assert resumable_checkpoint(tmp_path, say=said.append) == tmp_path / "checkpoint-1"
    assert said == [f"skipping {tmp_path / 'checkpoint-3'}: model.safetensors does not match its checksum "
                    f"(corrupted or replaced)", f"skipping {tmp_path / 'checkpoint-2'}: sub/rng_state.pth is missing"]
    (tmp_path / "checkpoint-1" / COMPLETE).write_text("[]")
    assert resumable_checkpoint(tmp_path, say=said.append) is None and len(said) == 5


# --- the run directory ---------------------------------------------------------------------------

def test_check_resume_compares_the_recipe_keys_that_shape_the_run():
    from tinyllm.rundir import check_resume

    earlier = {"lr": 0.1, "max_steps": 10, "out_dir": "a", "zero_stage": 2, "fingerprints": {"data_dir": "aa"}}
    check_resume("o", earlier, {**earlier, "out_dir": "b", "stop_at_step": 3, "dtype": "bf16"}, must_match=())
    check_resume("o", earlier, {**earlier, "new_key": 1}, must_match=())  # a key the earlier run did not know
    with pytest.raises(TinyLLMError, match=r"^o: cannot resume, 'lr' was 0.1 and is now 0.2; resume with the same "
                                           r"value or start over with overwrite=true$"):
        check_resume("o", earlier, {**earlier, "lr": 0.2}, must_match=())
    # A must-match key the earlier run did not record takes its default (runs from before ZeRO: stage 0).
    with pytest.raises(TinyLLMError, match=r"'zero_stage' was 0 and is now 2 \(ZeRO checkpoints only load under the "
                                           r"stage that wrote them\)"):
        check_resume("o", {k: v for k, v in earlier.items() if k != "zero_stage"}, earlier, must_match=("zero_stage",))
    with pytest.raises(TinyLLMError, match=r"'world_size' was None and is now 4 \(ZeRO optimizer shards"):
        check_resume("o", earlier, {**earlier, "world_size": 4}, must_match=("world_size",))
    with pytest.raises(TinyLLMError, match=r"'seed' was None and is now 1;"):
        check_resume("o", earlier, {**earlier, "seed": 1}, must_match=("seed",))


def test_check_resume_refuses_changed_input_contents_only_for_inputs_both_runs_fingerprinted():
    from tinyllm.rundir import check_resume

    earlier = {"data_dir": "d", "fingerprints": {"data_dir": "aa", "model": "mm"}}
    check_resume("o", earlier, {"data_dir": "d", "fingerprints": {"data_dir": "aa", "tokenizer": "tt"}}, must_match=())
    check_resume("o", {"data_dir": "d"}, {"data_dir": "d", "fingerprints": {"data_dir": "bb"}}, must_match=())
    with pytest.raises(TinyLLMError, match=r"^o: cannot resume, the contents of 'data_dir' \(d\) changed since the run "
                                           r"began \(fingerprint aa is now bb\); restore them or start over"):
        check_resume("o", earlier, {"data_dir": "d", "fingerprints": {"data_dir": "bb", "model": "mm"}}, must_match=())


def test_prepare_out_dir_starts_refuses_resumes_and_overwrites(tmp_path):
    from tinyllm.ownership import is_marked
    from tinyllm.rundir import RUN_FILE, prepare_out_dir
    from tinyllm.runlock import unlock_out_dir

    out, run = tmp_path / "run", {"stage": "sft", "lr": 0.1}

    def prepare(r=run, resume=False, overwrite=False):
        try:
            return prepare_out_dir(out, r, resume, overwrite, must_match=())
        finally:
            unlock_out_dir(out)

    assert prepare() is None and is_marked(out) and json.loads((out / RUN_FILE).read_text()) == run
    assert "sft run" in (out / ".tinyllm-owned").read_text()
    assert prepare() is None  # a run.json alone (failed before its first checkpoint) does not block a fresh start
    checkpoint(out, 4)
    (out / ".staging").mkdir()
    (out / ".staging" / "half").write_text("cut off")
    with pytest.raises(TinyLLMError, match=r"holds an earlier run; pass resume=true to continue it or overwrite=true"):
        prepare()
    assert (out / ".staging").exists()  # a refusal changes nothing
    assert prepare(resume=True) == out / "checkpoint-4" and not (out / ".staging").exists()
    with pytest.raises(TinyLLMError, match=r"cannot resume, 'lr' was 0.1 and is now 0.3"):
        prepare({**run, "lr": 0.3}, resume=True)
    (out / "checkpoint-4" / "model.safetensors").write_text("WEIGHTS")
    with pytest.raises(TinyLLMError, match=r"no checkpoint verifies against its manifest"):
        prepare(resume=True)
    assert prepare({**run, "lr": 0.3}, overwrite=True) is None
    assert not (out / "checkpoint-4").exists() and json.loads((out / RUN_FILE).read_text())["lr"] == 0.3


def test_prepare_out_dir_leaves_foreign_directories_and_files_alone(tmp_path):
    from tinyllm.rundir import prepare_out_dir

    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "holiday.jpg").write_text("x")
    with pytest.raises(TinyLLMError, match=r"photos: not a tinyllm run directory \(holds holiday.jpg, no run.json\)"):
        prepare_out_dir(tmp_path / "photos", {}, resume=True, overwrite=False, must_match=())
    assert (tmp_path / "photos" / "holiday.jpg").read_text() == "x"  # (the lock's two files stay beside it)
    (tmp_path / "file").write_text("x")
    with pytest.raises(TinyLLMError, match=r"file: out_dir exists and is not a directory"):
        prepare_out_dir(tmp_path / "file", {}, resume=False, overwrite=False, must_match=())
    with pytest.raises(TinyLLMError, match=r"out_dir overlaps the input data_dir"):
        prepare_out_dir(tmp_path / "photos" / "new", {"data_dir": str(tmp_path / "photos")}, resume=False,
                        overwrite=False, must_match=())
    assert not (tmp_path / "photos" / "new").exists()


def test_a_refused_run_removes_what_it_made_keeps_what_it_found_and_releases_the_lock(tmp_path, monkeypatch):
    import errno

    import tinyllm.rundir as rundir
    from tinyllm import runlock
    from tinyllm.ownership import mark
    from tinyllm.runlock import HOLDER, LOCK

    def locked(path):
        return path.resolve() in runlock._held

    # A directory this run made (and its parents): a failure under the lock removes it and releases the lock.
    out = tmp_path / "new" / "run"

    def no_space(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(rundir, "write_json", no_space)
        with pytest.raises(TinyLLMError, match=r"run/run.json: cannot write the run there \(No space left on device\)"):
            rundir.prepare_out_dir(out, {"stage": "sft"}, resume=False, overwrite=False, must_match=())
    assert not out.exists() and not locked(out)
    assert rundir.prepare_out_dir(out, {"stage": "sft"}, resume=False, overwrite=False, must_match=()) is None
    runlock.unlock_out_dir(out)

    # A run directory it found: refused, it keeps everything, and loses the lock files this run added.
    held = tmp_path / "held"
    checkpoint(held, 2)
    mark(held, "sft run")
    before = sorted(p.name for p in held.iterdir())
    with pytest.raises(TinyLLMError, match=r"held: holds an earlier run"):
        rundir.prepare_out_dir(held, {"stage": "sft"}, resume=False, overwrite=False, must_match=())
    assert sorted(p.name for p in held.iterdir()) == before and not locked(held)
    # Lock files an earlier run left stay (they were not this run's to remove).
    (held / LOCK).write_text("")
    (held / HOLDER).write_text("pid 1 on elsewhere\n")
    with pytest.raises(TinyLLMError, match=r"held: holds an earlier run"):
        rundir.prepare_out_dir(held, {"stage": "sft"}, resume=False, overwrite=False, must_match=())
    assert (held / LOCK).exists() and (held / HOLDER).exists() and not locked(held)


def test_a_final_model_alone_is_a_run_and_a_broken_run_json_is_named(tmp_path):
    from tinyllm.ownership import mark
    from tinyllm.rundir import RUN_FILE, prepare_out_dir
    from tinyllm.runlock import unlock_out_dir

    out = tmp_path / "done"
    (out / "final").mkdir(parents=True)
    mark(out, "sft run")
    try:
        with pytest.raises(TinyLLMError, match=r"done: holds an earlier run"):
            prepare_out_dir(out, {"stage": "sft"}, resume=False, overwrite=False, must_match=())
        (out / RUN_FILE).write_text("{not json")
        with pytest.raises(TinyLLMError, match=r"done/run.json: not valid JSON; cannot check the resume against it"):
            prepare_out_dir(out, {"stage": "sft"}, resume=True, overwrite=False, must_match=())
    finally:
        unlock_out_dir(out)
