"""How a reply is checked against a short answer: what evaluation and the RL rewards share.

`eval.dialogue` scores held-out conversations with these and `tinyllm.rewards` rewards RL
samples with them, so "the answer was found" means the same in both places.
"""

import re


def normalise(text: str) -> str:
    """Lower case, runs of spaces as one, no final full stop (or ! ?)."""
    return re.sub(r"\s+", " ", text.strip().lower()).rstrip(".!? ")


def contains_answer(reply: str, answer: str) -> bool:
    """`answer` occurs in `reply` as whole words ("18" is in "He had 18 socks.", not in "118")."""
    return re.search(rf"(?<!\w){re.escape(normalise(answer))}(?!\w)", normalise(reply)) is not None


def exact_match(reply: str, reference: str) -> bool:
    """The reply is the reference reply, ignoring case, spacing and a final full stop."""
    return normalise(reply) == normalise(reference)
