"""Finds a person named as someone the partnership supports: a name in a client's context.

"Our client Selam Tesfay, 16, was moved to a hotel" carries no number, yet it identifies one
person and says something about their safety. Partnership updates also name people all the time
who are not clients (staff, speakers, funders, buildings named after people), so a capitalised
name alone is never enough. A name is held when something beside it says it is a client:

- a role word right before it ("client", "young person", "care leaver") or "the … family";
- an age beside it ("(16)", ", 17,", "aged 19", "is 16", "15-year-old");
- a title right before it ("Mrs Amina Abdi"), unless the sentence reads as about staff;
- a full name in the same sentence as a special-category or safeguarding circumstance (or in the
  sentence before one that starts "He/She/They …"), unless the sentence reads as about staff.

People the bot knows are staff (`KnownPeople`) are never held. The word lists are in
bot/data/privacy_names.toml, read once; the rules are plain regular expressions over the
normalised text that `bot.services.privacy` hands in.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

# A capitalised word that may be part of a name: Selam, O'Neill, McAllister, Amy-Leigh, Żaneta.
_WORD = re.compile(r"[^\W\d_](?:\w|['’-](?=[^\W\d_]))*")
_POSSESSIVE = re.compile(r"['’]s$")
# Sentences end at . ! ? (not after a title's dot) or a line break.
_SENTENCE_END = re.compile(
    r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)[.!?]+[\"')\]]*(?:\s+|$)|\n+"
)
_CONTINUES = re.compile(r"^(?:He|She|They|His|Her|Their)\b")
_AGE_AFTER = re.compile(
    r"^(?:\s*\(\s*(?:aged\s+)?[0-9]{1,2}\s*\)"
    r"|\s*,\s*(?:aged\s+)?[0-9]{1,2}(?![0-9:./%-])(?!\s*(?:am|pm)\b)"
    r"|,?\s+aged\s+[0-9]{1,2}\b"
    r"|\s+is\s+(?:only\s+|just\s+)?[0-9]{1,2}\b(?![:./%-])(?!\s*(?:am|pm|years? ago)\b))",
    re.IGNORECASE,
)
# "Priya from Bridges", "Mr Brown from the housing association": someone's workplace.
_AFFILIATION = re.compile(r"^\s+(?:from|at)\s+(?:the\s+)?(?P<place>\w+)")
_AGE_BEFORE = re.compile(r"\b[0-9]{1,2}[- ]years?[- ]old\s+$", re.IGNORECASE)
_LONGEST_NAME = 4  # words; a longer run of capitals is a heading or an organisation


def _phrases(words: Iterable[str]) -> str:
    """An alternation of the list's phrases: spaces match any space, a trailing * any ending."""
    patterns = []
    for word in sorted(words, key=len, reverse=True):
        stem = word.removesuffix("*")
        pattern = re.escape(stem).replace(r"\ ", r"\s+")
        patterns.append(pattern + (r"\w*" if word.endswith("*") else ""))
    return "|".join(patterns)


@dataclass(frozen=True)
class _Rules:
    role_before: re.Pattern[str]
    family_after: re.Pattern[str]
    title_before: re.Pattern[str]
    staff_title_before: re.Pattern[str]
    organisation_words: frozenset[str]
    circumstance: re.Pattern[str]
    staff: re.Pattern[str]
    not_names: frozenset[str]
    nations: frozenset[str]


@cache
def _rules() -> _Rules:
    """The word lists, read from the package's data once per process."""
    lists = tomllib.loads(
        (resources.files("bot") / "data" / "privacy_names.toml").read_text(encoding="utf-8")
    )
    titles = _phrases(lists["titles"])
    return _Rules(
        role_before=re.compile(
            rf"\b(?:{_phrases(lists['roles'])})[\s,:]*(?:(?:{titles})\.?\s+)?$", re.IGNORECASE
        ),
        family_after=re.compile(rf"^\s+(?:{_phrases(lists['families'])})\b", re.IGNORECASE),
        title_before=re.compile(rf"\b(?:{titles})\.?\s+$"),
        staff_title_before=re.compile(rf"\b(?:{_phrases(lists['staff_titles'])})\.?\s+$"),
        organisation_words=frozenset(word.casefold() for word in lists["organisation_words"]),
        circumstance=re.compile(rf"(?<!\w)(?:{_phrases(lists['circumstances'])})(?!\w)", re.I),
        staff=re.compile(rf"(?<!\w)(?:{_phrases(lists['staff_cues'])})(?!\w)", re.IGNORECASE),
        not_names=frozenset(
            word.casefold()
            for key in ("not_names", "nations", "titles", "staff_titles")
            for word in lists[key]
        ),
        nations=frozenset(word.casefold() for word in lists["nations"]),
    )


def _words(name: str) -> tuple[str, ...]:
    return tuple(word.casefold() for word in _WORD.findall(name))


class KnownPeople:
    """People the partnership knows are not clients (members, key workers): a name matches when
    it starts with one of their first names and its other words are among that person's, or is
    one of their surnames alone."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._pairs: set[tuple[str, str]] = set()  # (first name, another word of that name)
        self._surnames: set[str] = set()
        for name in names:
            words = _words(name)
            self._pairs.update((words[0], word) for word in words)
            if len(words) > 1:
                self._surnames.add(words[-1])

    def knows(self, words: tuple[str, ...]) -> bool:
        if len(words) == 1 and words[0] in self._surnames:
            return True
        return all((words[0], word) in self._pairs for word in words)


NOBODY = KnownPeople()


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        spans.append((start, end.start()))
        start = end.end()
    spans.append((start, len(text)))
    return spans


def _names(
    text: str, start: int, end: int, not_names: frozenset[str]
) -> Iterator[list[re.Match[str]]]:
    """Runs of capitalised words in text[start:end] one space apart, split at words that are
    never names."""
    run: list[re.Match[str]] = []
    for word in _WORD.finditer(text, start, end):
        value = _POSSESSIVE.sub("", word[0])
        name_like = value[0].isupper() and not value.isupper() and value.casefold() not in not_names
        joined = bool(run) and text[run[-1].end() : word.start()] == " "
        if run and not (joined and name_like):
            yield run
            run = []
        if name_like:
            run.append(word)
    if run:
        yield run


def _role(rules: _Rules, before: str) -> bool:
    """A role word right before the name; capitalised mid-sentence it starts an organisation's
    name instead ("the Refugee Festival")."""
    role = rules.role_before.search(before)
    if role is None:
        return False
    opening = before[: role.start()].strip().casefold() in ("", "our", "a", "one of our")
    return opening or not (role[0][0].isupper() and not role[0].split()[0].isupper())


@dataclass
class _Sentence:
    """One sentence and the next; what the whole sentence says is read only when a name in it
    needs it (most sentences name nobody)."""

    text: str
    following: str
    rules: _Rules

    @cached_property
    def about_staff(self) -> bool:
        return self.rules.staff.search(self.text) is not None

    @cached_property
    def circumstance(self) -> bool:
        circumstance = self.rules.circumstance
        continued = _CONTINUES.match(self.following) and circumstance.search(self.following)
        return circumstance.search(self.text) is not None or bool(continued)


def client_names(text: str, known: KnownPeople = NOBODY) -> Iterator[tuple[int, int]]:
    """Spans of `text` (already normalised) naming someone in a client's context."""
    rules = _rules()
    sentences = _sentences(text)
    for index, (first, last) in enumerate(sentences):
        following = text[slice(*sentences[index + 1])] if index + 1 < len(sentences) else ""
        sentence = _Sentence(text[first:last], following, rules)
        for run in _names(text, first, last, rules.not_names):
            run = run[:_LONGEST_NAME]
            start, end = run[0].start(), run[-1].end()
            words = tuple(_POSSESSIVE.sub("", word[0]).casefold() for word in run)
            before, after = text[max(first, start - 60) : start], text[end:last]
            if _is_client(words, before, after, sentence, known):
                possessive = _POSSESSIVE.search(run[-1][0])
                yield start, end - (len(possessive[0]) if possessive else 0)


def _is_client(
    words: tuple[str, ...], before: str, after: str, sentence: _Sentence, known: KnownPeople
) -> bool:
    rules = sentence.rules
    if (
        not rules.organisation_words.isdisjoint(words)
        or rules.staff_title_before.search(before)
        or known.knows(words)
    ):
        return False
    full_name = len(words) > 1
    # One capitalised word alone ("Children aged 5-11") needs a role word or a title.
    if _role(rules, before) or rules.family_after.match(after):
        return True
    if full_name and (_AGE_AFTER.match(after) or _AGE_BEFORE.search(before)):
        return True
    affiliation = _AFFILIATION.match(after)
    if affiliation and affiliation["place"].casefold() not in rules.nations:
        return False  # "Priya from Bridges": where someone works
    titled = rules.title_before.search(before) is not None
    return (titled or (full_name and sentence.circumstance)) and not sentence.about_staff
