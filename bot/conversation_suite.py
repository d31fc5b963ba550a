"""Whole conversations against the running assistant: the format is in tests/conversations/README.md.

`run_conversation` sets up the CRM as the conversation's `given` says (bot/conversation_crm.py),
sends each turn over REST or the web chat (bot/conversation_channels.py), and has every turn judged
by bot/conversation_judge.py (the reply, the tracker's intent / actions / form) and the CRM checks.
`crmbot eval` and tests/conversations use it; both start the real stack first.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine

from bot.conversation_channels import RestChat, WebChat
from bot.conversation_crm import Given, allowed_after, arrange, check_crm, unasked_writes
from bot.conversation_judge import check_reply, conversation_errors, turn_facts

log = logging.getLogger(__name__)


class ConversationFileError(ValueError):
    """A conversation file breaks the format's rules; the message lists every problem."""


@dataclass
class TurnResult:
    index: int
    user: str
    replies: list[str]
    passed: bool
    problems: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)


@dataclass
class ConversationResult:
    name: str
    source: str
    turns: list[TurnResult]
    error: str | None = None  # the runner itself broke (not the assistant's answer)

    @property
    def passed(self) -> bool:
        return self.error is None and all(t.passed for t in self.turns)

    @property
    def unasked_writes(self) -> int:
        return sum(1 for t in self.turns for p in t.problems if p.startswith("unasked write"))

    def report(self) -> str:
        lines = [f"{self.name} ({self.source})"] + ([f"  ERROR {self.error}"] if self.error else [])
        for t in self.turns:
            mark = "ok  " if t.passed else "FAIL"
            lines.append(f"  {mark} {t.index}. user: {t.user!r}")
            lines.append(f"         bot: {' / '.join(t.replies)[:600]!r}")
            if t.intents or t.actions:
                lines.append(f"         intent {'/'.join(t.intents)}; actions {', '.join(t.actions)}")
            lines += [f"         - {p}" for p in t.problems]
        return "\n".join(lines)


class _Loader(yaml.SafeLoader):
    """YAML 1.1 reads `user: yes` and `user: no` as booleans; here they stay the customer's words
    (only true / false are booleans)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load(paths: list[Path]) -> list[dict[str, Any]]:
    """Every conversation in the files, each tagged with its file as `source`.

    Raises ConversationFileError listing every broken rule (a turn without a positive check, an
    unknown key, a bare "T-" ...): a broken file is an error, never a pass."""
    found, errors = [], []
    for path in paths:
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
        except yaml.YAMLError as exc:
            errors.append(f"{path.name}: not valid YAML: {exc}")
            continue
        for conv in data.get("conversations") or []:
            errors += [
                f"{path.name}: {conv.get('name', '?') if isinstance(conv, dict) else '?'}: {e}"
                for e in conversation_errors(conv)
            ]
            if isinstance(conv, dict):
                found.append({**conv, "source": path.name})
    if errors:
        raise ConversationFileError(f"{len(errors)} problem(s) in the conversation files:\n" + "\n".join(errors))
    return found


def sets_in(root: Path) -> dict[str, list[Path]]:
    """One set per directory: the files directly in `root` are the own set, each subdirectory
    with .yml files is a set of its name (blind, blind2, heldout, ...)."""
    found = {"own": sorted(root.glob("*.yml"))}
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(sub.rglob("*.yml"))
        if files:
            found[sub.name] = files
    return {name: files for name, files in found.items() if files}


def tracker_events(rasa_url: str, sender: str, api_token: str | None) -> list[dict] | None:
    """The conversation's events from Rasa's HTTP API, or None when it cannot be read."""
    # ALL: a restart inside the conversation must not hide the events the turns are counted by.
    query = "?include_events=ALL" + (f"&token={urllib.parse.quote(api_token)}" if api_token else "")
    try:
        with urllib.request.urlopen(
            f"{rasa_url}/conversations/{urllib.parse.quote(sender)}/tracker{query}", timeout=30
        ) as resp:
            return json.loads(resp.read()).get("events") or []
    except (OSError, ValueError):
        log.warning("the tracker of a test conversation could not be read")
        return None


def events_of_turn(events: list[dict], users_before: int) -> list[dict]:
    """The events from the turn's own user message on (the one after the first `users_before`)."""
    seen = 0
    for index, event in enumerate(events):
        if event.get("event") == "user":
            seen += 1
            if seen > users_before:
                return events[index:]
    return []


def fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], m[0]), value)
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    return value


def demo_code_in(log_path: Path, email: str, since: int = 0, first: bool = False) -> str | None:
    """The last (or `first`) one-time code `crmbot run` printed for `email` (LINK_CODE_DELIVERY=console)
    after byte `since` of the log. The log shows the email masked (`a***@example.com`), which another
    conversation running at the same time may share, so callers look for the first code after where
    the log stood before the turn that asked for it."""
    masked = f"{email[0]}***@{email.split('@')[1]}"
    with log_path.open("rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    found = re.findall(r"one-time code (\d{6}) for " + re.escape(masked), text)
    return (found[0] if first else found[-1]) if found else None


def run_conversation(
    rasa_url: str,
    engine: Engine,
    conv: dict[str, Any],
    crm_wait: float = 8.0,
    api_token: str | None = None,
    log_path: Path | None = None,
) -> ConversationResult:
    """Run one conversation; `{code}` in a user turn is the one-time code the stack printed to `log_path`."""
    chat: RestChat | WebChat = WebChat(rasa_url, api_token) if conv.get("channel") == "webchat" else RestChat(rasa_url)
    results: list[TurnResult] = []
    name, source = str(conv.get("name")), str(conv.get("source", ""))
    try:
        chat.open()
        try:
            given = arrange(engine, conv.get("given") or {}, chat.channel, chat.sender, seed=f"{source}:{name}")
            _turns(chat, rasa_url, engine, conv, given, results, crm_wait, api_token, log_path)
        finally:
            chat.close()
    except Exception as exc:  # one broken conversation must not stop a suite; it is scored as an error
        log.exception("a test conversation could not be run")
        return ConversationResult(name, source, results, error=f"{type(exc).__name__}: {exc}")
    return ConversationResult(name, source, results)


def _turns(
    chat: RestChat | WebChat,
    rasa_url: str,
    engine: Engine,
    conv: dict[str, Any],
    given: Given,
    results: list[TurnResult],
    crm_wait: float,
    api_token: str | None,
    log_path: Path | None,
) -> None:
    allowed = dict(given.counts)
    stated_orders: set[str] = set()
    users_before, form = 0, None
    # Where the stack's log stood before the previous turn and at the start: a code this conversation
    # asked for is after one of them (usually the first: the turn before `{code}` asked for it).
    log_at_start = log_before_previous = log_before = log_path.stat().st_size if log_path is not None else 0
    for index, turn in enumerate(conv.get("turns") or [], start=1):
        text = "/session_start" if turn.get("new_session") else fill(str(turn.get("user", "")), given.values)
        if log_path is not None:
            log_before_previous, log_before = log_before, log_path.stat().st_size
        if "{code}" in text and log_path is not None:
            deadline = time.monotonic() + crm_wait
            email = str(given.values.get("email", ""))
            while (
                code := demo_code_in(log_path, email, since=log_before_previous, first=True)
                or demo_code_in(log_path, email, since=log_at_start)
            ) is None and time.monotonic() < deadline:
                time.sleep(0.3)
            text = text.replace("{code}", code or "000000")
        expect = fill(turn.get("expect") or {}, given.values)
        replies = chat.say(text)
        events = tracker_events(rasa_url, chat.sender, api_token)
        facts = None
        if events is not None:
            facts = turn_facts(events_of_turn(events, users_before))
            users_before = sum(1 for e in events if e.get("event") == "user")
        problems = [] if turn.get("new_session") and not expect else check_reply(expect, replies, facts, form)
        if facts and facts["forms"]:
            form = facts["forms"][-1]
        crm = expect.get("crm") or {}
        if crm:
            deadline = time.monotonic() + crm_wait
            while (wrong := check_crm(engine, crm, given, chat.channel, chat.sender)) and time.monotonic() < deadline:
                time.sleep(0.3)  # the CRM transcript is written asynchronously
            problems += wrong
        allowed = allowed_after(crm, allowed, given.counts)
        stated_orders |= {k for k in crm if k in given.orders}
        unasked = unasked_writes(engine, given, chat.channel, chat.sender, allowed, stated_orders)
        problems += [p for p, _ in unasked]
        for _, seen in unasked:  # each unasked write fails the turn it appears in, not every later one
            if seen[0] in given.orders:
                stated_orders.add(seen[0])
            else:
                allowed[seen[0]] = max(allowed[seen[0]], seen[1])
        results.append(
            TurnResult(
                index,
                text,
                [r.get("text") or "" for r in replies],
                not problems,
                problems,
                sorted((facts or {}).get("intents", [])),
                list((facts or {}).get("actions", [])),
            )
        )


@dataclass(frozen=True)
class Score:
    conversations: int
    conversations_passed: int
    turns: int
    turns_passed: int
    errors: int = 0  # conversations the runner could not finish
    unasked_writes: int = 0  # conversations with a record nobody asked for

    @property
    def turn_rate(self) -> float:
        return self.turns_passed / self.turns if self.turns else 0.0

    @property
    def conversation_rate(self) -> float:
        return self.conversations_passed / self.conversations if self.conversations else 0.0

    def line(self, label: str) -> str:
        return (
            f"{label}: turns {self.turns_passed}/{self.turns} = {self.turn_rate:.1%}, "
            f"whole conversations {self.conversations_passed}/{self.conversations} = {self.conversation_rate:.1%}, "
            f"conversations with an unasked write {self.unasked_writes}, runner errors {self.errors}"
        )


def score(results: list[ConversationResult], convs: list[dict[str, Any]] | None = None) -> Score:
    """Turns of a conversation the runner could not finish count as failed (from `convs` when given)."""
    planned = [len(c.get("turns") or []) for c in convs] if convs else [len(r.turns) for r in results]
    return Score(
        len(results),
        sum(r.passed for r in results),
        sum(max(n, len(r.turns)) for n, r in zip(planned, results)),
        sum(t.passed for r in results for t in r.turns),
        sum(r.error is not None for r in results),
        sum(r.unasked_writes > 0 for r in results),
    )


def api_token_of(stack: Any) -> str | None:
    """The token of a running stack's Rasa API: RASA_AUTH_TOKEN, else the file `crmbot run` wrote."""
    token = stack.env.get("RASA_AUTH_TOKEN")
    if token:
        return token
    try:
        return (Path(stack.env["VAR_DIR"]) / "rasa-api.token").read_text().strip() or None
    except (KeyError, OSError):
        return None


def run_all(
    rasa_url: str,
    engine: Engine,
    convs: list[dict[str, Any]],
    progress: Callable[[ConversationResult], None] | None = None,
    api_token: str | None = None,
    log_path: Path | None = None,
    jobs: int = 1,
) -> list[ConversationResult]:
    """Every conversation, `jobs` at a time (each has its own chat and customer); results in file order."""

    def one(conv: dict[str, Any]) -> ConversationResult:
        result = run_conversation(rasa_url, engine, conv, api_token=api_token, log_path=log_path)
        if progress:
            progress(result)
        return result

    if jobs <= 1:
        return [one(conv) for conv in convs]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, convs))


# Every conversation of a suite comes from this one machine's address, as a hundred customers
# behind one office's NAT would: the per-address limits (60 messages a minute, 100 new customers
# an hour, 20 one-time codes an hour) are for a real deployment and would refuse the later conversations
# of a 120-conversation run (a full run's last set, the languages, lost six turns to "too many codes").
# The per-chat limits stay as configured.
SUITE_ENV = {
    "MESSAGES_PER_MINUTE_PER_IP": "100000",
    "NEW_CUSTOMERS_PER_IP_PER_HOUR": "100000",
    "CODES_PER_IP_PER_HOUR": "100000",
}


def main(argv: list[str] | None = None) -> int:
    """`crmbot eval` (after the NLU report): the pass rate of the conversation sets on a fresh stack."""
    import argparse
    import tempfile

    from crm_store.settings import PROJECT_ROOT
    from bot.local_stack import start_stack, stop_stack

    parser = argparse.ArgumentParser(prog="crmbot eval", description="Conversation pass rates.")
    parser.add_argument("--conversations", type=Path, default=PROJECT_ROOT / "tests" / "conversations")
    parser.add_argument("--conversations-out", type=Path, default=PROJECT_ROOT / "results" / "conversations.json")
    parser.add_argument("--verbose", action="store_true", help="print every failed conversation turn by turn")
    parser.add_argument("--jobs", type=int, default=1, help="conversations run at the same time (default 1)")
    parser.add_argument(
        "--set",
        action="append",
        dest="only",
        metavar="NAME",
        help="run only this set (own, blind, blind2, heldout, ...); repeatable",
    )
    args, _ = parser.parse_known_args(argv)
    sets = {name: files for name, files in sets_in(args.conversations).items() if not args.only or name in args.only}
    loaded: dict[str, list[dict[str, Any]]] = {}
    for name, files in sets.items():
        try:
            loaded[name] = load(files)
        except ConversationFileError as exc:  # the other sets are still measured
            print(f"{name} set: not run, {exc}")
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="crmbot-conversations-") as tmp:
        stack = start_stack(Path(tmp), SUITE_ENV)
        try:
            for name, convs in loaded.items():
                label = f"{name} set"
                results = run_all(
                    stack.rasa_url,
                    stack.engine,
                    convs,
                    api_token=api_token_of(stack),
                    log_path=stack.log_path,
                    jobs=args.jobs,
                )
                total = score(results, convs)
                print(total.line(label), flush=True)
                if args.verbose:
                    for result in results:
                        if not result.passed:
                            print(result.report())
                report[label] = {
                    **total.__dict__,
                    "turn_rate": round(total.turn_rate, 4),
                    "conversation_rate": round(total.conversation_rate, 4),
                    "failed": [
                        {
                            "name": r.name,
                            "source": r.source,
                            "error": r.error,
                            "turns": [t.index for t in r.turns if not t.passed],
                        }
                        for r in results
                        if not r.passed
                    ],
                }
        finally:
            stop_stack(stack)
    args.conversations_out.parent.mkdir(parents=True, exist_ok=True)
    args.conversations_out.write_text(json.dumps(report, indent=2), "utf-8")
    print(f"conversation report written to {args.conversations_out}")
    return 0 if len(loaded) == len(sets) else 1
