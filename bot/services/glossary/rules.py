"""The glossary's rules, pure: what a term is, how a meaning is typed, which words are acronyms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.services.glossary.types import GlossaryProblem

TERM_MAX = 40
LINE_TERMS_MAX = 5  # terms explained under one post: a quiet line, not a lecture
MEANING_MAX = 150
DESCRIPTION_MAX = 500
ACRONYM = re.compile(r"(?<![\w@#/.])[A-Z]{2,6}(?![\w/])")
LINKS_AND_MENTIONS = re.compile(r"<[^>]*>|https?://\S+|[\w.+-]+@[\w.-]+")
# An em dash, en dash or spaced hyphen between the meaning and its description.
DASH = re.compile(r"\s+[—–-]{1,2}\s+|\s*[—–]\s*")
EDGE_PUNCTUATION = "\"'“”‘’.,;:!?()[]"
# Capitals that are ordinary English or everyday abbreviations, not the partnership's jargon.
STOPLIST = frozenset(
    """OK UK GB EU US USA AM PM TV ID PS NB FYI ASAP FAQ CEO HR IT PC PDF URL WIFI BBC NHS GP
    AND THE FOR NOT ALL NEW NOW YOU ARE OUR WE US IS IT OF TO IN ON AT BY OR NO YES FREE HELP
    MON TUE WED THU FRI SAT SUN JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC
    RSVP ETA TBC TBA AKA DIY QA""".split()
)


def normalise(term: str) -> str:
    """A term as the glossary files it: spaces collapsed, outer punctuation gone, case folded."""
    return " ".join(term.split()).strip(EDGE_PUNCTUATION).strip().casefold()


def check_term(term: str, example: str = "/jargon add ISP Individual Support Plan") -> str:
    """The term as written (trimmed), or GlossaryProblem: empty, or over TERM_MAX characters."""
    written = " ".join(term.split()).strip(EDGE_PUNCTUATION).strip()
    if not written:
        raise GlossaryProblem("Which term? Give the word or acronym first.", example)
    _within(written, TERM_MAX, "A term", "Give the short form, and put the rest in its meaning.")
    return written


def _within(text: str, limit: int, what: str, advice: str = "") -> None:
    """GlossaryProblem when `text` is over `limit` characters, saying by how much."""
    if len(text) > limit:
        raise GlossaryProblem(
            f"{what} can be at most {limit} characters; that one is {len(text)}. {advice}".strip()
        )


def split_meaning(text: str) -> tuple[str, str]:
    """ "Individual Support Plan — the plan a support worker writes" → the meaning and its
    description (an em dash, or a hyphen with spaces, between them), checked."""
    parts = DASH.split(" ".join(text.split()), maxsplit=1)
    return check_meaning(parts[0], parts[1] if len(parts) > 1 else "")


def check_meaning(meaning: str, description: str) -> tuple[str, str]:
    """Both trimmed, or GlossaryProblem: no meaning, or either part too long."""
    meaning, description = " ".join(meaning.split()), description.strip()
    example = "/jargon add ISP Individual Support Plan — the plan a support worker writes"
    if not meaning:
        raise GlossaryProblem("What does it mean? Give the meaning after the term.", example)
    _within(meaning, MEANING_MAX, "A meaning", "Put the explanation after a dash (—).")
    _within(description, DESCRIPTION_MAX, "The description after the dash")
    return meaning, description


def acronyms(text: str) -> list[str]:
    """Two to six capitals standing alone, in the order the text first uses them (links,
    mentions and email addresses left out)."""
    plain = LINKS_AND_MENTIONS.sub(" ", text)
    return list(dict.fromkeys(match[0] for match in ACRONYM.finditer(plain)))


def stoplist(extra: list[str]) -> frozenset[str]:
    """The built-in stoplist and the partnership file's extension, upper-cased."""
    return STOPLIST | {word.strip().upper() for word in extra if word.strip()}


def pair(first: str, second: str) -> tuple[str, str]:
    """Two normalised terms as a synonym row holds them, or GlossaryProblem for one term twice."""
    if first == second:
        raise GlossaryProblem(
            "A term is already the same as itself: name two different terms.",
            "/jargon same ISP ITP",
        )
    return (first, second) if first < second else (second, first)


QUOTED = re.compile(r"^\s*[\"“']([^\"”']*)[\"”']\s*(.*)$", re.DOTALL)


def split_term(text: str) -> tuple[str, str]:
    """The term and the rest: the first word, or a phrase in quotes (`"hot desk" …`)."""
    quoted = QUOTED.match(text)
    if quoted:
        return quoted[1].strip(), quoted[2].strip()
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


@dataclass(frozen=True)
class Snapshot:
    """The glossary as it stood when read, to explain a post and spot its unknown acronyms
    without the database (a post's message is drawn inside its own transaction)."""

    meanings: dict[str, tuple[str, str]]  # key: (the term as written, its meanings joined)
    known: frozenset[str]  # keys of terms and of their other names
    stoplist: frozenset[str]  # upper-case words never suggested

    def explained(self, text: str) -> list[tuple[str, str]]:
        """(term, meaning) for each glossary term the text uses, in the order it first uses
        them, at most LINE_TERMS_MAX."""
        found: list[tuple[int, str]] = []
        lowered = text.casefold()
        for key in self.meanings:
            match = re.search(rf"(?<!\w){re.escape(key)}(?!\w)", lowered)
            if match:
                found.append((match.start(), key))
        return [self.meanings[key] for _, key in sorted(found)[:LINE_TERMS_MAX]]

    def unknown_acronym(self, text: str) -> str | None:
        """The first of the text's acronyms that is neither in the glossary nor stoplisted: at
        most one suggestion a post."""
        for word in acronyms(text):
            if word.casefold() not in self.known and word not in self.stoplist:
                return word
        return None
