"""Prompt sets for online RL: questions to sample replies to, with the answers that check them.

A prompt set is a directory from `data_prep.prompts` holding `train.jsonl` (what RL samples
from) and `test.jsonl` (held out: never trained on, only scored). One record a line:

    {"id": "...", "kind": "arithmetic", "prompt": [{"role": "user", "content": "..."}],
     "answer": "18", "reference": "Esther had 18 socks left."}

`prompt` is a conversation ending with a user turn; `answer` is the short answer the `exact`
reward looks for (null when unknown); `reference` is a full reply (optional), the held-out
exact-match target.
"""

import json
from pathlib import Path

from tinyllm.errors import TinyLLMError

SPLITS = ("train", "test")
ROLES = ("system", "user", "assistant")


def check_prompt(messages, where: str) -> None:
    """Optional system turn, then user / assistant alternating, ending with the user."""
    if not isinstance(messages, list) or not messages:
        raise TinyLLMError(f"{where}: 'prompt' must be a non-empty list of messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            raise TinyLLMError(f"{where}: prompt message {i} is not {{'role': system|user|assistant, 'content': str}}")
    turns = messages[1:] if messages[0]["role"] == "system" else messages
    for i, m in enumerate(turns):
        if m["role"] != ("user" if i % 2 == 0 else "assistant"):
            raise TinyLLMError(f"{where}: prompt roles out of order at turn {i + 1} ({m['role']})")
    if not turns or turns[-1]["role"] != "user":
        raise TinyLLMError(f"{where}: a prompt must end with a user turn")


def load_prompts(path, split: str, need_answers: bool = False, limit: int | None = None) -> list[dict]:
    """The records of PATH/SPLIT.jsonl (or of PATH itself when it is a .jsonl file), checked."""
    path = Path(path)
    file = path if path.suffix == ".jsonl" else path / f"{split}.jsonl"
    if not file.is_file():
        raise TinyLLMError(f"{file}: prompt file not found (make a prompt set with python -m data_prep.prompts)")
    records = []
    with open(file, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{file}:{n}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise TinyLLMError(f"{where}: not valid JSON ({err.msg})") from None
            if not isinstance(record, dict) or "prompt" not in record:
                raise TinyLLMError(f"{where}: expected a record with 'prompt'")
            check_prompt(record["prompt"], where)
            answer = record.get("answer")
            if answer is not None and (not isinstance(answer, str) or not answer.strip()):
                raise TinyLLMError(f"{where}: 'answer' must be a non-empty string or null")
            if need_answers and answer is None:
                raise TinyLLMError(f"{where}: no 'answer', which the 'exact' reward needs (drop 'exact' from the "
                                   f"recipe's rewards, or add answers)")
            records.append({"id": record.get("id", where), "kind": record.get("kind", "other"),
                            "prompt": record["prompt"], "answer": answer, "reference": record.get("reference")})
            if limit and len(records) >= limit:
                break
    if not records:
        raise TinyLLMError(f"{file}: no prompts")
    return records
