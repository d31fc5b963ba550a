"""What the assistant could not answer: fallback messages and the last customer message before
each handoff, grouped by TF-IDF similarity (no model download), and exported as Rasa NLU YAML
candidates for review.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analytics.digest.kpis import FALLBACK_INTENT
from crm_store.models import Handoff, Message

# "Can I talk to a person?" says nothing about what was not answered: the question before it does.
ASKING_FOR_A_PERSON = ("request_human", "escalate")
MAX_TEXTS = 2000  # the pairwise distance matrix is MAX_TEXTS² floats
DISTANCE = 0.75  # cosine distance (character n-grams) below which two messages share a group
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"\+?\d[\d ()/-]{6,}\d")
_STOP = set(
    "a an and are as at be but by can do for from have how i if in is it me my no not of on or "
    "please so that the this to was what when where which who why will with you your yet".split()
)


@dataclass(frozen=True)
class Group:
    label: str
    count: int
    examples: tuple[str, ...]


def unanswered_texts(session: Session, start: datetime, end: datetime) -> list[str]:
    """Fallback messages, plus the customer's last question before each handoff (not the request
    for a person), in [start, end)."""
    fallback = session.scalars(
        select(Message.text)
        .where(
            Message.direction == "in",
            Message.intent == FALLBACK_INTENT,
            Message.sent_at >= start,
            Message.sent_at < end,
        )
        .order_by(Message.id)
        .limit(MAX_TEXTS)
    ).all()
    before_handoff = []
    for conversation_id, requested_at in session.execute(
        select(Handoff.conversation_id, Handoff.requested_at)
        .where(Handoff.requested_at >= start, Handoff.requested_at < end)
        .limit(MAX_TEXTS)
    ):
        last_id = session.scalar(
            select(func.max(Message.id)).where(
                Message.conversation_id == conversation_id,
                Message.direction == "in",
                Message.sent_at <= requested_at,
                Message.intent.is_(None) | Message.intent.not_in(ASKING_FOR_A_PERSON),
            )
        )
        last = session.get(Message, last_id) if last_id is not None else None
        if last is not None and last.intent == FALLBACK_INTENT:
            continue  # counted once, above
        if last is not None:
            before_handoff.append(last.text)
    texts = [clean(t) for t in [*fallback, *before_handoff] if t]
    return [t for t in texts if t and not t.startswith("/")][:MAX_TEXTS]


def clean(text: str) -> str:
    """One line, personal data masked: these texts go into emails and training data."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    return " ".join(text.split())


def cluster(texts: list[str], max_examples: int = 3) -> list[Group]:
    """Groups of similar messages, largest first."""
    counts = Counter(t.lower() for t in texts)
    first: dict[str, str] = {}
    for t in texts:
        first.setdefault(t.lower(), t)
    unique = list(counts)
    if not unique:
        return []
    if len(unique) == 1:
        labels = [0]
    else:
        from sklearn.cluster import AgglomerativeClustering
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.metrics.pairwise import cosine_distances

        vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(unique)
        distances = cosine_distances(vectors)
        labels = AgglomerativeClustering(
            n_clusters=None, affinity="precomputed", linkage="average", distance_threshold=DISTANCE
        ).fit_predict(distances)
    members: dict[int, list[str]] = {}
    for text, label in zip(unique, labels):
        members.setdefault(int(label), []).append(text)
    groups = []
    for texts_in in members.values():
        texts_in.sort(key=lambda t: (-counts[t], t))
        total = sum(counts[t] for t in texts_in)
        groups.append(Group(_label(texts_in, counts), total, tuple(first[t] for t in texts_in[:max_examples])))
    groups.sort(key=lambda g: (-g.count, g.label))
    return groups


def _label(texts: list[str], counts: Counter) -> str:
    words: Counter = Counter()
    for t in texts:
        for w in set(re.findall(r"[a-zà-ÿ]{3,}", t)):
            if w not in _STOP:
                words[w] += counts[t]
    top = [w for w, _ in words.most_common(3)]
    return " / ".join(top) if top else texts[0][:40]


def nlu_yaml(groups: list[Group]) -> str:
    """Rasa 3 NLU YAML: one candidate intent per group, for a person to rename, merge or drop."""
    lines = [
        'version: "3.1"',
        "# Candidates from real traffic the assistant could not answer (crmbot nlu candidates).",
        "# Review each: rename the intent to an existing or a new one, drop what does not belong.",
        "nlu:",
    ]
    for i, group in enumerate(groups, start=1):
        slug = re.sub(r"[^a-z0-9]+", "_", group.label.lower()).strip("_")[:40] or "group"
        lines.append(f"- intent: candidate_{i:02d}_{slug}  # {group.count} message(s)")
        lines.append("  examples: |")
        for ex in group.examples:
            lines.append(f"    - {ex}")
    return "\n".join(lines) + "\n"
