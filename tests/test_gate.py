"""The gate out: what it makes, what it refuses, and a list of every typed field and column.

The lists below are the product's typed inputs with who may see them. A form field, command or
column added without a line here fails these tests: decide its Reach, and route it through the
gate if others will see it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import String
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from bot.models import Opportunity, Organisation, PartnerUpdate
from bot.services import gate
from bot.services.gate import BadLink, Cleared, LooksPersonal, Reach, Shown
from bot.slack.blocks import glossary, hotdesk, opportunities, sessions, updates
from bot.slack.blocks import help as general_help
from bot.slack.listeners import PARTNERS as SUBCOMMANDS
from tests.helpers import shown

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = ROOT / "bot" / "slack" / "blocks"

# Every plain_text_input in every form, by builder module and block id.
FORM_FIELDS: dict[tuple[str, str], Reach] = {
    ("updates", "text"): Reach.OTHERS,
    ("opportunities", "title"): Reach.OTHERS,
    ("opportunities", "description"): Reach.OTHERS,
    ("opportunities", "link"): Reach.LINK,
    ("sessions", "title"): Reach.OTHERS,
    ("sessions", "next_place"): Reach.PUBLIC,
    ("sessions", "what_"): Reach.OTHERS,  # what_1 … what_5
    ("sessions", "note"): Reach.OTHERS,  # "need help": sent to the coordinators
    ("sessions", "answer"): Reach.OTHERS,  # a reflection, shareable as an update
    ("hotdesk", "closures"): Reach.AUTHOR,  # dates, read as dates
    ("hotdesk", "address"): Reach.PUBLIC,
    ("hotdesk", "protocol"): Reach.OTHERS,
    ("directory", "name"): Reach.PUBLIC,
    ("directory", "description"): Reach.OTHERS,
    ("directory", "address"): Reach.PUBLIC,
    ("directory", "protocol"): Reach.OTHERS,
    ("glossary", "term"): Reach.OTHERS,
    ("glossary", "meaning"): Reach.OTHERS,
    ("glossary", "description"): Reach.OTHERS,
    ("stories", "answer"): Reach.OTHERS,  # a visit's story: the coordinators, or shared
}

# Every command's arguments, by command and first word ("*": free text, e.g. an update).
COMMAND_ARGUMENTS: dict[tuple[str, str], Reach] = {
    ("/update", "*"): Reach.OTHERS,
    ("/update", "search"): Reach.AUTHOR,
    ("/update", "list"): Reach.AUTHOR,
    ("/update", "mine"): Reach.AUTHOR,
    ("/opportunity", "*"): Reach.OTHERS,  # kind, title, `closes <date>`, and a link (LINK)
    ("/opportunity", "list"): Reach.AUTHOR,
    ("/opportunity", "mine"): Reach.AUTHOR,
    ("/hotdesk", "book"): Reach.AUTHOR,
    ("/hotdesk", "free"): Reach.AUTHOR,
    ("/hotdesk", "mine"): Reach.AUTHOR,
    ("/hotdesk", "cancel"): Reach.AUTHOR,
    ("/hotdesk", "offer"): Reach.AUTHOR,
    ("/session", "new"): Reach.AUTHOR,
    ("/session", "commit"): Reach.OTHERS,
    ("/session", "list"): Reach.AUTHOR,
    ("/session", "show"): Reach.AUTHOR,
    ("/session", "mine"): Reach.AUTHOR,
    ("/partners", "join"): Reach.AUTHOR,
    ("/partners", "orgs"): Reach.AUTHOR,
    ("/partners", "organisations"): Reach.AUTHOR,
    ("/partners", "org"): Reach.PUBLIC,  # `org add BHA Bridges Health Access` names it
    ("/partners", "organisation"): Reach.PUBLIC,
    ("/partners", "whoami"): Reach.AUTHOR,
    ("/partners", "digest"): Reach.AUTHOR,
    ("/partners", "my-data"): Reach.AUTHOR,
    ("/partners", "forget-me"): Reach.AUTHOR,
    ("/partners", "coordinator"): Reach.AUTHOR,
    ("/partners", "remove"): Reach.AUTHOR,
    ("/partners", "audit"): Reach.AUTHOR,
    ("/partners", "resume"): Reach.AUTHOR,
    ("/partners", "stories"): Reach.AUTHOR,
    ("/partners", "report"): Reach.AUTHOR,  # the period, shown back to the coordinator only
    ("/partners", "connect"): Reach.AUTHOR,  # nothing read: answered with a link
    ("/partners", "config"): Reach.AUTHOR,  # `load` or nothing; the file's text goes through
    # the partnership file's own checks (its loader's guarded text), as from the server
    ("/jargon", "*"): Reach.AUTHOR,  # a term looked up
    ("/jargon", "add"): Reach.OTHERS,  # the term, its meaning and description
    ("/jargon", "same"): Reach.AUTHOR,  # terms already in the glossary
    ("/jargon", "search"): Reach.AUTHOR,
    ("/jargon", "edit"): Reach.OTHERS,  # a meaning rewritten
    ("/jargon", "merge"): Reach.AUTHOR,
    ("/jargon", "remove"): Reach.AUTHOR,
}
WITHOUT_ARGUMENTS = {"", "help"}

# String columns that hold no typed text: ids, codes, states, the bot's own JSON and words.
NOT_TYPED = {
    "partnership.name", "partnership.privacy_policy", "partnership.updates_channel",
    "partnership.opportunities_channel", "partnership.digest_channel", "partnership.schedule",
    "partnership.bank_holidays", "partnership.retention", "partnership.report_format",
    "partnership.timezone",  # a zone's name the partnership file's loader checked
    "connected_workspace.team_id", "member.slack_team_id",  # Slack's ids for workspaces
    "organisation.code",
    "keyworker.slack_user_id", "hotdeskoffer.weekdays", "hotdeskoffer.closures",
    "delivery.channel", "erasure.fingerprint", "secret.name", "secret.value",
    "inbox_item.kind", "inbox_item.event_id", "inbox_item.status",
    "inbox_item.body",  # the request as Slack sent it, blanked once its work is done
    "outbox_item.kind", "outbox_item.target", "outbox_item.ts", "outbox_item.row_kind",
    "outbox_item.report_to", "outbox_item.status", "outbox_item.error",
    "outbox_item.message",  # a message the gate out already drew; blanked once sent
    "member.slack_user_id", "member.name", "member.display_name", "member.tz",
    "processedevent.event_id", "partner_update.author_id", "partner_update.channel",
    "partner_update.ts", "draft.author_id", "draft.topics", "job_run.job", "job_run.scope",
    "job_turn.job",  # a job's name, from the registry
    "job_run.period", "job_run.summary", "delivery.recipient", "delivery.message",
    "delivery.status", "delivery.ts", "delivery.error", "desk_booking.visitor_id",
    "desk_booking.part", "desk_booking.status", "desk_booking.decided_by",
    "desk_booking.ended_by", "desk_hold.visitor_id", "desk_hold.half", "opportunity.poster_id",
    "opportunity.kind", "opportunity.status", "opportunity.channel", "opportunity.ts",
    "opportunity.ended_by", "opportunity_interest.member_id", "partnership_session.kind",
    "partnership_session.created_by", "commitment.owner_id", "commitment.status",
    "commitment.created_by", "rsvp.member_id", "rsvp.answer", "audit_entry.actor",
    "audit_entry.action", "audit_entry.detail",
    "keyworker.email",  # an address from the partnership file, checked by its loader
    "partner_person.email",  # the same, for the file's [[people]]
    "email_coordinator.email",  # the same, for a coordinator reached by email alone
    "member.digest_email", "member.digest_email_asked",  # addresses, only ever emailed to
    "email_delivery.key", "email_delivery.recipient", "email_delivery.status",
    "email_delivery.error",  # the mail server's answer
    "email_delivery.message",  # an email the gate out already drew (HtmlShown, Cleared)
    "email_link_use.signature",
    "partnership.jargon_stoplist",  # the partnership file's, checked by its loader
    "glossary_term.key", "glossary_synonym.first", "glossary_synonym.second",  # cleared terms,
    # normalised
    "glossary_term.added_by", "glossary_synonym.added_by", "visit_story.person_id",
    "visit_story.role",
    "partnership.slack_team_id",  # Slack's id for the workspace that installed the bot
}  # fmt: skip
# slack_sdk's OAuth stores (bot.slack.oauth): Slack's own values (tokens, ids, scopes), written
# and read by slack_sdk, never shown to anyone.
SLACK_STORES = {"slack_installations", "slack_bots", "slack_oauth_states"}


# --- The lists are complete ---------------------------------------------------------------------


def _text_inputs(path: Path) -> set[str]:
    """Block ids of every plain_text_input a builder module makes (f-strings by their prefix)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        keywords = {k.arg: k.value for k in node.keywords}
        element = keywords.get("element")
        is_text = (
            isinstance(element, ast.Call)
            and getattr(element.func, "id", "") == "PlainTextInputElement"
        )
        block_id = keywords.get("block_id")
        if name == "_text_input" and node.args:  # bot/slack/blocks/directory.py's helper
            block_id, is_text = node.args[0], True
        if name not in ("InputBlock", "_text_input") or not is_text or block_id is None:
            continue
        if isinstance(block_id, ast.Name) and block_id.id == "block_id":
            continue  # inside the _text_input helper itself: its callers are read instead
        if isinstance(block_id, ast.Constant):
            found.add(block_id.value)
        elif isinstance(block_id, ast.JoinedStr) and isinstance(block_id.values[0], ast.Constant):
            found.add(block_id.values[0].value)
        else:
            raise AssertionError(f"{path.name}: a text input's block_id is not a literal")
    return found


def test_every_form_field_has_a_reach() -> None:
    found = {
        (path.stem, block_id) for path in BLOCKS.glob("*.py") for block_id in _text_inputs(path)
    }
    assert found == set(FORM_FIELDS), "a typed form field was added or removed: list it above"


def _examples() -> set[tuple[str, str]]:
    texts = [
        shown(general_help.help_message().blocks),
        *(
            shown(module.help_message().blocks)
            for module in (updates, opportunities, hotdesk, glossary)
        ),
        shown(sessions.help_message().blocks),
    ]
    found = set()
    for example in re.findall(r"`(/[a-z]+[^`]*)`", "\n".join(texts)):
        command, _, rest = example.partition(" ")
        word = rest.split(" ", 1)[0].lower()
        known = (command, word) in COMMAND_ARGUMENTS or word in WITHOUT_ARGUMENTS
        found.add((command, word if known else "*"))
    return found


def test_every_command_argument_has_a_reach() -> None:
    examples = _examples()
    unlisted = {e for e in examples if e not in COMMAND_ARGUMENTS and e[1] not in WITHOUT_ARGUMENTS}
    assert not unlisted, f"commands without a reach: {unlisted}"
    partners = {word for word in SUBCOMMANDS if word not in WITHOUT_ARGUMENTS}
    assert partners == {word for command, word in COMMAND_ARGUMENTS if command == "/partners"}


def test_every_string_column_is_typed_with_a_reach_or_named_as_not_typed() -> None:
    listed = {f"{column.table.name}.{column.name}" for column in gate.COLUMNS}
    strings = {
        f"{table.name}.{column.name}"
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        # a list stored as JSON (bot.models.JSONList) holds strings too
        if isinstance(getattr(column.type, "impl", column.type), String | AutoString)
        and not column.foreign_keys
        and table.name not in SLACK_STORES
    }
    unknown = strings - listed - NOT_TYPED
    assert not unknown, f"string columns with no Reach: {sorted(unknown)}"
    assert listed | NOT_TYPED <= strings, "a listed column no longer exists"


def test_only_the_gate_makes_its_types() -> None:
    """Nothing else constructs Cleared or Shown, so text that has them passed the gate."""
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "jobs").rglob("*.py")]:
        if path.name == "gate.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("Cleared", "Shown"):
                raise AssertionError(f"{path}: makes {node.func.id} itself")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        Cleared("typed")
    with pytest.raises(TypeError):
        Shown("typed")


# Attributes of services' views that carry typed text, and the builders that must escape them.
TYPED_ATTRIBUTES = {"text", "title", "description", "what", "note", "visitor_protocol", "protocol"}
ESCAPERS = {"escape", "link"}
PLAIN_TEXT = {"calendar_text"}  # the .ics file's description: plain text, not Slack's markup


def test_builders_never_put_typed_text_in_a_message_unescaped() -> None:
    """In every f-string of a builder, a view's typed attribute is inside escape() or link()
    (or the whole f-string is escaped); only plain-text surfaces (a calendar file) are exempt."""
    bare = []
    for path in BLOCKS.glob("*.py"):
        tree = ast.parse(path.read_text())
        exempt = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in PLAIN_TEXT:
                exempt |= {id(inner) for inner in ast.walk(node)}
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ESCAPERS:
                exempt |= {id(inner) for arg in node.args for inner in ast.walk(arg)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.JoinedStr) or id(node) in exempt:
                continue
            for part in node.values:
                value = getattr(part, "value", None)
                if isinstance(value, ast.Attribute) and value.attr in TYPED_ATTRIBUTES:
                    bare.append(f"{path.name}:{node.lineno} {{…{value.attr}}}")
    assert not bare, f"typed text interpolated without escape(): {bare}"


# --- What the gate does --------------------------------------------------------------------------


def test_escape_neutralises_markup_and_keeps_a_mention() -> None:
    assert (
        escape_of("Q&A <!channel> <https://evil|x>")
        == "Q&amp;A &lt;!channel&gt; &lt;https://evil|x&gt;"
    )
    assert escape_of("ask <@U0000AMINA1> & co") == "ask <@U0000AMINA1> &amp; co"
    assert escape_of("<@U0000AMINA1|amina>") == "&lt;@U0000AMINA1|amina&gt;"  # only the bare form
    assert isinstance(gate.escape("x"), Shown)


def escape_of(text: str) -> str:
    return str(gate.escape(text))


@given(st.text())
def test_escaped_text_holds_no_markup_but_mentions(text: str) -> None:
    escaped = gate.MENTION.sub("", gate.escape(text))
    assert "<" not in escaped and ">" not in escaped


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("https://partner.example/><!channel><https://evil.example/phish", "can't contain"),
        ("http://[::1", "can't be read"),
        ("javascript:alert(1)", "must start with http"),
        ("https://", "must start with http"),
        ("https://a.example/x y", "can't contain"),
        ("https://a.example:99999/", "can't be read"),
    ],
)
def test_links_that_are_not_plain_web_addresses_are_refused(typed: str, message: str) -> None:
    with pytest.raises(BadLink, match=message):
        gate.parse_link(typed)


def test_a_link_is_rebuilt_without_credentials_and_escaped_in_a_message() -> None:
    assert (
        gate.parse_link(" HTTPS://user:pw@Example.org/a?b=1&c=2 ")
        == "https://Example.org/a?b=1&c=2"
    )
    assert (
        gate.link("https://example.org/?a=1&b=2", "Q&A")
        == "<https://example.org/?a=1&amp;b=2|Q&amp;A>"
    )


def test_the_guard_holds_personal_data_back_unless_the_author_may_and_chooses() -> None:
    personal = "Call Jo on 07700 900123"
    with pytest.raises(LooksPersonal) as held:
        gate.clear(personal, Reach.OTHERS, policy=gate.Policy("warn"), field="what")
    assert held.value.field == "what" and held.value.may_share_anyway
    assert gate.clear(personal, Reach.OTHERS, policy=gate.Policy("warn"), anyway=True) == personal
    with pytest.raises(LooksPersonal):
        gate.clear(personal, Reach.OTHERS, policy=gate.Policy("block"), anyway=True)
    assert gate.clear(personal, Reach.AUTHOR, policy=gate.Policy("block")) == personal
    with pytest.raises(LooksPersonal):
        gate.clear_link(
            "https://example.org/?email=jo.bloggs@gmail.com", policy=gate.Policy("warn")
        )


def test_a_mention_is_not_taken_for_a_reference_number() -> None:
    assert gate.findings_in("ask <@U1234567> about it") == []


def test_a_guarded_column_refuses_text_the_gate_has_not_cleared() -> None:
    """A new path that forgets the gate fails on its first write, not in an audit."""
    with pytest.raises(TypeError, match=r"cleared by bot\.services\.gate"):
        PartnerUpdate(organisation_id=1, text="Call Jo on 07700 900123")
    with pytest.raises(TypeError):
        Opportunity(organisation_id=1, poster_id="U1", kind="event", title="x").link = "https://x"
    cleared = gate.clear("Saturday drop-in", Reach.OTHERS, policy=gate.Policy("block"))
    assert PartnerUpdate(organisation_id=1, text=cleared).text == "Saturday drop-in"
    assert Organisation(code="A1", name="A").description == ""  # empty holds nothing
