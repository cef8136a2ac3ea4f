"""The record layouts people ship SFT and preference data in, turned into messages / pairs.

Used by data_prep.sft and data_prep.preference (see their docstrings for the commands).

SFT layouts (detected per record, or forced with --format):
  messages  {"messages": [{"role": "user", "content": ...}, ...]}           (OpenAI)
  sharegpt  {"conversations": [{"from": "human", "value": ...}, ...], "system": optional}
  alpaca    {"instruction", "input"?, "output", "system"?, "history"?: [[user, assistant], ...]}
Role spellings accepted in both list layouts, under role/content or from/value keys: see ROLES.

Preference layouts (detected per record):
  {"prompt", "chosen", "rejected"}              strings or message lists (the synthetic pairs)
  {"chosen", "rejected"}                        full conversations, or hh-rlhf transcripts
  {"conversations", "chosen": {...}, "rejected": {...}}   LLaMA-Factory sharegpt (message objects)
  {"instruction", "input"?, "output": [best, ..., worst], "history"?, "system"?}   LLaMA-Factory
            alpaca; a list of more than two answers is a ranking, paired by RANKED_MODES
  {"instruction", "input"?, "chosen": str, "rejected": str}   alpaca with named answers
"""

ROLES = {
    "system": "system",
    "user": "user", "human": "user", "prompter": "user", "question": "user",
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant",
    "chatgpt": "assistant", "answer": "assistant",
}
SFT_FORMATS = ("messages", "alpaca", "sharegpt")
RANKED_MODES = ("first-vs-last", "first-vs-each")


def _turn(turn, where: str, i: int) -> dict:
    """One {"role", "content"} message from a role/content or from/value object."""
    if not isinstance(turn, dict):
        raise ValueError(f"{where}: turn {i} is {type(turn).__name__}, not an object")
    speaker = turn.get("role", turn.get("from"))
    role = ROLES.get(speaker.lower()) if isinstance(speaker, str) else None
    if role is None:
        raise ValueError(f"{where}: turn {i} has role {speaker!r}; accepted: {', '.join(ROLES)} "
                         f"(tool and function turns are not trained on here)")
    return {"role": role, "content": turn.get("content", turn.get("value"))}


def turns_to_messages(turns, where: str, key: str, system=None) -> list[dict]:
    if not isinstance(turns, list):
        raise ValueError(f"{where}: '{key}' must be a list of turns, got {type(turns).__name__}")
    messages = [_turn(t, where, i) for i, t in enumerate(turns)]
    if system and not (messages and messages[0]["role"] == "system"):
        messages.insert(0, {"role": "system", "content": system})
    return messages


def _alpaca_prompt(record: dict, where: str) -> list[dict]:
    """system, history turns and the instruction (+ input) as messages ending with the user's."""
    messages = []
    if record.get("system"):
        messages.append({"role": "system", "content": record["system"]})
    history = record.get("history") or []
    if not isinstance(history, list):
        raise ValueError(f"{where}: 'history' must be a list of [user, assistant] pairs")
    for i, pair in enumerate(history):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            raise ValueError(f"{where}: history item {i} is not a [user, assistant] pair")
        messages += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    prompt = record.get("instruction")
    if isinstance(prompt, str) and record.get("input"):
        prompt = f"{prompt}\n\n{record['input']}" if prompt.strip() else record["input"]
    messages.append({"role": "user", "content": prompt})
    return messages


def detect_sft_format(record: dict, where: str) -> str:
    if "messages" in record:
        return "messages"
    if "conversations" in record:
        return "sharegpt"
    if "instruction" in record and "output" in record:
        return "alpaca"
    raise ValueError(f"{where}: unknown format (fields: {', '.join(map(str, record)) or 'none'}); "
                     f"expected messages, alpaca or sharegpt")


def sft_messages(record, where: str, fmt: str | None = None) -> tuple[list[dict], str]:
    """Any SFT record -> ([{"role", "content"}, ...], its layout); validated by the caller."""
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
    fmt = fmt or detect_sft_format(record, where)
    if fmt == "alpaca":
        return _alpaca_prompt(record, where) + [{"role": "assistant", "content": record.get("output")}], fmt
    key = "messages" if fmt == "messages" else "conversations"
    return turns_to_messages(record.get(key), where, key, record.get("system")), fmt


def assistant_turns(messages: list[dict]) -> int:
    return sum(m.get("role") == "assistant" for m in messages)


# --- Preference records -> one or more pairs ---------------------------------------------------

def _reply(value, where: str, field: str) -> list[dict]:
    if isinstance(value, str):
        return [{"role": "assistant", "content": value}]
    if isinstance(value, dict):
        return [_turn(value, where, 0)]
    raise ValueError(f"{where}: '{field}' must be a string or a message object, got {type(value).__name__}")


def preference_records(record, where: str, ranked: str = "first-vs-last") -> tuple[list[dict], str]:
    """A preference record in any layout -> (records tinyllm.preference.to_pair validates, layout).

    More than one only for a ranked list (best first): first-vs-last gives one pair (best, worst),
    first-vs-each one pair per other answer.
    """
    if ranked not in RANKED_MODES:
        raise ValueError(f"ranked-list pairing must be one of {', '.join(RANKED_MODES)}, not '{ranked}'")
    if not isinstance(record, dict):
        return [record], "unknown"  # to_pair names the problem
    if "conversations" in record and "chosen" in record:
        prompt = turns_to_messages(record["conversations"], where, "conversations", record.get("system"))
        return [{"prompt": prompt, "chosen": _reply(record["chosen"], where, "chosen"),
                 "rejected": _reply(record["rejected"], where, "rejected") if "rejected" in record else None}], \
            "sharegpt"
    if "instruction" in record and ("output" in record or "chosen" in record):
        prompt = _alpaca_prompt(record, where)
        if "chosen" in record:
            return [{"prompt": prompt, "chosen": _reply(record["chosen"], where, "chosen"),
                     "rejected": _reply(record.get("rejected"), where, "rejected")}], "alpaca"
        answers = record["output"]
        if not isinstance(answers, list) or len(answers) < 2:
            raise ValueError(f"{where}: alpaca preference 'output' must be a list [chosen, rejected, ...], "
                             f"got {type(answers).__name__}" + (f" of {len(answers)}" if isinstance(answers, list) else ""))
        others = range(1, len(answers)) if ranked == "first-vs-each" else [len(answers) - 1]
        layout = "alpaca" if len(answers) == 2 else "ranked"
        return [{"prompt": prompt, "chosen": _reply(answers[0], where, "output[0]"),
                 "rejected": _reply(answers[i], where, f"output[{i}]")} for i in others], layout
    if "prompt" in record:
        return [record], "prompt/chosen/rejected"
    if isinstance(record.get("chosen"), str):
        return [record], "hh transcript"
    return [record], "conversations"
