"""Session surfaces: the recording form, session cards and lists, commitments with their status
buttons, the follow-up and nudge DMs, invitations with RSVP, and the coordinators' summary."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.services.dates import format_date
from bot.services.directory import OrganisationRef
from bot.services.gate import FieldsLookPersonal, LooksPersonal
from bot.services.outbox import Notice
from bot.services.privacy import explain
from bot.services.sessions import (
    ANSWERS,
    KINDS,
    NOTE_MAX,
    PLACE_MAX,
    STATUSES,
    TITLE_MAX,
    WHAT_MAX,
    CommitmentInput,
    CommitmentView,
    SessionInput,
    SessionProblem,
    SessionView,
    StatusChange,
    Summary,
)
from bot.slack.blocks.common import (
    Message,
    clip,
    command_help,
    context,
    escape,
    owner_link,
    refusal,
    section,
)
from bot.slack.blocks.directory import looks_personal_form

STATUS_ACTION = "session_status"  # value: {"id": commitment id, "status": done|working|help}
RSVP_ACTION = "session_rsvp"  # value: {"session": id, "answer": coming|cant|colleague}
REFLECT_ACTION = "session_reflect"
SHARE_ACTION = "session_share_reflection"
SESSION_FORM = "session_form"
HELP_FORM = "session_help_form"
REFLECT_FORM = "session_reflect_form"
COMMITMENT_ROWS = 5
REFLECTION_MAX = 1000
QUESTION = "What has changed since the session?"
STATUS_BUTTONS = (("done", "Done"), ("working", "Still working"), ("help", "Need help"))
RSVP_BUTTONS = (
    ("coming", "Coming"),
    ("cant", "Can't make it"),
    ("colleague", "Sending a colleague"),
)

HELP = (
    (
        "/session new",
        "(coordinators) record a session: kind, date, who came, commitments, next one",
    ),
    ("/session commit me share the job description by 12/12", "add your own commitment"),
    ("/session commit @amina prototype the service", "(coordinators) add one for someone"),
    (
        '/session commit "Jamal Hussain" send the leaflet',
        "(coordinators) for someone in the partnership file not on Slack: followed up by email",
    ),
    ("/session list", "recent sessions"),
    ("/session show S3", "a session, its commitments and their status"),
    ("/session mine", "your open commitments, to mark done, still working or need help"),
)


def help_message() -> Message:
    return command_help(
        "Partnership sessions",
        "Sessions: /session help",
        HELP,
        "Owners get one DM two working days after a session, then a nudge on the due date and a "
        "week later (never more than three, working hours in their own time zone). Members are "
        "invited a week before the next session. Only what the group chooses is recorded.",
    )


def refused(problem: SessionProblem) -> Message:
    return refusal(str(problem), problem.example, "/session")


LABELS = {"title": "The title", "note": "Your note", "what": "Your commitment"}


def looks_personal(refused: FieldsLookPersonal) -> Message:
    """Nothing recorded: what looks like a client's personal data (masked), why it matters,
    and how to say it instead."""
    lines = []
    for field, looks in refused.held.items():
        label = LABELS.get(field) or f"Commitment {field.rpartition('_')[2]}"
        found = "\n".join(
            f"• {finding.kind.value}: `{escape(finding.masked)}` — {explain(finding.kind)}"
            for finding in looks.findings[:5]
        )
        lines.append(f"{label} looks like it holds a client's personal data:\n{found}")
    text = ":lock: *Not recorded.* " + "\n".join(lines)
    return Message(
        text="Not recorded: it looks like it holds a client's personal data.",
        blocks=[
            section(text),
            context(
                "Commitments and notes are seen by coordinators and by people in other "
                "organisations; a client's details belong in your own organisation's records. "
                "Say what you will do without who it is for, e.g. "
                "`/session commit me refer the family to the housing clinic by 12/12`."
            ),
        ],
    )


def _when(day: date | None, today: date) -> str:
    return format_date(day, today) if day else "no date"


def commitment_line(commitment: CommitmentView, today: date) -> str:
    due = f" — by {format_date(commitment.due_on, today)}" if commitment.due_on else ""
    note = f" _({escape(commitment.note)})_" if commitment.note else ""
    owner = owner_link(commitment.owner_id, commitment.owner_name)
    return (
        f"*{commitment.ref}* {owner}: {escape(commitment.what)}{due} · "
        f"{STATUSES.get(commitment.status, commitment.status)}{note}"
    )


def status_buttons(commitment: CommitmentView) -> ActionsBlock:
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=label,
                action_id=f"{STATUS_ACTION}:{commitment.id}:{status}",
                value=json.dumps({"id": commitment.id, "status": status}),
                style="primary" if status == "done" else None,
            )
            for status, label in STATUS_BUTTONS
        ]
    )


def _session_lines(view: SessionView, today: date) -> str:
    who = ", ".join(escape(org.name) for org in view.organisations) or "attendance not recorded"
    lines = [
        f"*{view.ref} · {escape(view.title)}* — {view.kind_label}, "
        f"{format_date(view.held_on, today)}",
        f"Came: {who}",
    ]
    if view.next_on:
        place = f" at {escape(view.next_place)}" if view.next_place else ""
        lines.append(f"Next: {format_date(view.next_on, today)}{place}")
    return "\n".join(lines)


def session_card(view: SessionView, today: date) -> Message:
    blocks: list[Block] = [section(_session_lines(view, today))]
    if view.commitments:
        lines = "\n".join(commitment_line(c, today) for c in view.commitments[:40])
        blocks += [DividerBlock(), section(clip(f"*Commitments*\n{lines}", 3000))]
    else:
        blocks.append(context("No commitments recorded. Add one with `/session commit me …`."))
    return Message(text=escape(f"{view.ref}: {view.title}"), blocks=blocks)


def recorded(view: SessionView, today: date) -> Message:
    card = session_card(view, today)
    note = context(
        "Owners will get their commitments by DM two working days from the session"
        + (", and members an invitation a week before the next one." if view.next_on else ".")
    )
    return Message(
        text=f"Recorded {view.ref}.",
        blocks=[section(f":white_check_mark: Recorded {view.ref}."), *card.blocks, note],
    )


def session_list(views: Sequence[SessionView], today: date) -> Message:
    if not views:
        return Message(
            text="No sessions yet.",
            blocks=[section("No session has been recorded yet. Coordinators: `/session new`.")],
        )
    blocks: list[Block] = [HeaderBlock(text="Partnership sessions")]
    for view in views[:20]:
        open_count = sum(c.status != "done" for c in view.commitments)
        blocks.append(
            section(
                _session_lines(view, today)
                + f"\n{len(view.commitments)} commitments, {open_count} open · "
                f"`/session show {view.ref}`"
            )
        )
    return Message(text="Partnership sessions", blocks=blocks)


def committed(commitment: CommitmentView, today: date) -> Message:
    return Message(
        text=f"Added {commitment.ref}.",
        blocks=[
            section(
                f":white_check_mark: Added to *{escape(commitment.session_title)}*: "
                f"{commitment_line(commitment, today)}"
            )
        ],
    )


def my_commitments(commitments: Sequence[CommitmentView], today: date) -> Message:
    blocks: list[Block] = [HeaderBlock(text="Your open commitments")]
    if not commitments:
        blocks.append(section("You have no open commitments. :tada:"))
    for commitment in commitments[:15]:
        blocks += [
            section(f"{commitment_line(commitment, today)}\n_{escape(commitment.session_title)}_"),
            status_buttons(commitment),
        ]
    return Message(text="Your open commitments", blocks=blocks)


def status_changed(commitment: CommitmentView, changed: bool, today: date) -> Message:
    label = STATUSES.get(commitment.status, commitment.status)
    text = (
        f":white_check_mark: {commitment.ref} is now *{label}*."
        if changed
        else f"{commitment.ref} was already *{label}*; nothing changed."
    )
    if commitment.status == "help" and changed:
        text += " The coordinators have been told."
    return Message(text=f"{commitment.ref}: {label}", blocks=[section(text)])


def help_needed(commitment: CommitmentView, today: date) -> Message:
    return Message(
        text=f"{commitment.ref}: help needed",
        blocks=[
            section(
                f":sos: {owner_link(commitment.owner_id, commitment.owner_name)} needs help "
                "with a commitment from "
                f"*{escape(commitment.session_title)}*:\n{commitment_line(commitment, today)}"
            )
        ],
    )


def coordinators_told(today: date) -> Callable[[StatusChange], list[Notice]]:
    """The coordinators' DMs when someone needs help, however they answered (Slack or email),
    written with the change."""

    def notices(change: StatusChange) -> list[Notice]:
        message = help_needed(change.commitment, today).rendered()
        return [Notice("dm", person, message) for person in change.coordinator_ids]

    return notices


# The follow-up job's messages ------------------------------------------------------------------


def followup(commitments: Sequence[CommitmentView], today: date) -> Message:
    """Two working days after the session: the owner's commitments, buttons, one question."""
    title = escape(commitments[0].session_title)
    blocks: list[Block] = [section(f":handshake: Your commitments from *{title}*:")]
    for commitment in commitments[:12]:
        blocks += [section(commitment_line(commitment, today)), status_buttons(commitment)]
    blocks += [
        DividerBlock(),
        SectionBlock(
            text=f"_{QUESTION}_ One line is enough; you can share it as an update.",
            accessory=ButtonElement(
                text="Answer", action_id=REFLECT_ACTION, value=str(commitments[0].session_id)
            ),
        ),
    ]
    return Message(text=f"Your commitments from {title}", blocks=blocks)


def nudge(commitment: CommitmentView, today: date) -> Message:
    due = "due today" if commitment.due_on == today else "still open"
    return Message(
        text=escape(f"Reminder: {commitment.what}"),
        blocks=[
            section(f":hourglass: A commitment {due}: {commitment_line(commitment, today)}"),
            status_buttons(commitment),
        ],
    )


def rsvp_buttons(view: SessionView) -> ActionsBlock:
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=label,
                action_id=f"{RSVP_ACTION}:{view.id}:{answer}",
                value=json.dumps({"session": view.id, "answer": answer}),
                style="primary" if answer == "coming" else None,
            )
            for answer, label in RSVP_BUTTONS
        ]
    )


def invitation(view: SessionView, today: date, reminder: bool = False) -> Message:
    assert view.next_on is not None
    place = f" at {escape(view.next_place)}" if view.next_place else ""
    opening = ":bell: Reminder — will you come?" if reminder else ":calendar: You're invited:"
    return Message(
        text=f"The next partnership session: {format_date(view.next_on, today)}",
        blocks=[
            section(
                f"{opening} the next partnership session after *{escape(view.title)}* is "
                f"{format_date(view.next_on, today)}{place}."
            ),
            rsvp_buttons(view),
        ],
    )


def rsvp_noted(view: SessionView, answer: str, changed: bool, today: date) -> Message:
    label = ANSWERS[answer]
    when = format_date(view.next_on, today) if view.next_on else "the next session"
    text = (
        f":white_check_mark: Noted: *{label}* ({when})."
        if changed
        else f"Already noted: *{label}*."
    )
    return Message(text=f"RSVP: {label}", blocks=[section(text)])


def summary(report: Summary, today: date) -> Message:
    view = report.session
    statuses = (
        ", ".join(
            f"{count} {STATUSES.get(status, status)}"
            for status, count in sorted(report.by_status.items())
        )
        or "none recorded"
    )
    answers = (
        "\n".join(
            f"• {escape(name)}: "
            + ", ".join(
                f"{count} {ANSWERS.get(answer, answer)}" for answer, count in counts.items()
            )
            for name, counts in sorted(report.answers.items())
        )
        or "• nobody yet"
    )
    silent = ", ".join(escape(name) for name in report.silent) or "none"
    when = format_date(view.next_on, today) if view.next_on else "soon"
    return Message(
        text=f"Before the next session ({when})",
        blocks=[
            HeaderBlock(text=clip(f"Before the next session: {when}", 150)),
            section(f"*Commitments from {escape(view.title)}:* {statuses}"),
            section(clip(f"*Replies by organisation*\n{answers}", 3000)),
            section(clip(f"*No reply yet from:* {silent}", 3000)),
            context(f"`/session show {view.ref}` lists every commitment and its owner."),
        ],
    )


# Forms -----------------------------------------------------------------------------------------


def _option(text: str, value: str) -> Option:
    return Option(text=clip(text, 75), value=value)


def _day(day: date | None) -> str | None:
    return day.isoformat() if day and day != date.min else None


def session_form(
    organisations: Sequence[OrganisationRef],
    today: date,
    metadata: dict,
    typed: SessionInput | None = None,
    rows: Sequence[int] = (),
    held: Mapping[str, LooksPersonal] | None = None,
    by_email: Sequence[str] = (),
) -> View:
    """The recording form; shown again as `typed` (its commitments in form `rows`) when the
    privacy guard `held` fields back. Each commitment's owner is someone in Slack, or one of
    `by_email`: the partnership file's people reached by email, by name."""
    kinds = [_option(label, kind) for kind, label in KINDS.items()]
    places = [_option(org.name, org.code) for org in organisations[:100]]
    typed = typed or SessionInput(title="", kind=next(iter(KINDS)), held_on=today)
    by_row = dict(zip(rows, typed.commitments, strict=False))
    came = [option for option in places if option.value in typed.organisations]
    blocks: list[Block] = [
        InputBlock(
            block_id="title",
            label="Title",
            element=PlainTextInputElement(
                action_id="value", max_length=TITLE_MAX, initial_value=typed.title or None
            ),
        ),
        InputBlock(
            block_id="kind",
            label="Kind",
            element=StaticSelectElement(
                action_id="value",
                options=kinds,
                initial_option=next((o for o in kinds if o.value == typed.kind), kinds[0]),
            ),
        ),
        InputBlock(
            block_id="held_on",
            label="Date",
            element=DatePickerElement(action_id="value", initial_date=_day(typed.held_on)),
        ),
        InputBlock(
            block_id="organisations",
            label="Organisations that came",
            optional=True,
            element=StaticMultiSelectElement(
                action_id="value",
                options=places or [_option("(none yet)", "-")],
                initial_options=came or None,
            ),
        ),
        InputBlock(
            block_id="next_on",
            label="Next session",
            optional=True,
            element=DatePickerElement(action_id="value", initial_date=_day(typed.next_on)),
        ),
        InputBlock(
            block_id="next_place",
            label="Next session's place",
            optional=True,
            element=PlainTextInputElement(
                action_id="value", max_length=PLACE_MAX, initial_value=typed.next_place or None
            ),
        ),
        section("*Commitments made* — who, what, by when (leave rows you don't need empty)."),
    ]
    for row in range(1, COMMITMENT_ROWS + 1):
        commitment = by_row.get(row) or CommitmentInput(owner_id="", what="")
        blocks += [
            InputBlock(
                block_id=f"owner_{row}",
                label=f"{row}. Who",
                optional=True,
                element=UserSelectElement(
                    action_id="value", initial_user=commitment.owner_id or None
                ),
            ),
            *_by_email_choice(row, by_email, commitment.owner_name),
            InputBlock(
                block_id=f"what_{row}",
                label=f"{row}. What",
                optional=True,
                element=PlainTextInputElement(
                    action_id="value", max_length=WHAT_MAX, initial_value=commitment.what or None
                ),
            ),
            InputBlock(
                block_id=f"due_{row}",
                label=f"{row}. By when",
                optional=True,
                element=DatePickerElement(action_id="value", initial_date=_day(commitment.due_on)),
            ),
        ]
    return View(
        type="modal",
        callback_id=SESSION_FORM,
        title="Record a session",
        submit="Record",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=looks_personal_form(blocks, held or {}),
    )


def _by_email_choice(row: int, names: Sequence[str], chosen: str) -> list[Block]:
    """A commitment row's other owner: someone not on Slack, from the partnership file."""
    if not names:
        return []
    options = [_option(f"{name} (by email)", name[:150]) for name in names[:100]]
    return [
        InputBlock(
            block_id=f"by_email_{row}",
            label=f"{row}. Or someone not on Slack",
            optional=True,
            hint="Their follow-ups come by email.",
            element=StaticSelectElement(
                action_id="value",
                options=options,
                initial_option=next((o for o in options if o.value == chosen), None),
            ),
        )
    ]


def note_form(
    commitment_id: int,
    metadata: dict,
    note: str = "",
    held: Mapping[str, LooksPersonal] | None = None,
) -> View:
    """ "Need help": a note for the coordinators; shown again as typed when the privacy guard
    `held` it back."""
    metadata = {**metadata, "commitment": commitment_id}
    blocks: list[Block] = [
        InputBlock(
            block_id="note",
            label="What would help?",
            optional=True,
            hint="The coordinators get it by DM: describe the need, not the client.",
            element=PlainTextInputElement(
                action_id="value",
                multiline=True,
                max_length=NOTE_MAX,
                initial_value=note[:NOTE_MAX] or None,
            ),
        )
    ]
    return View(
        type="modal",
        callback_id=HELP_FORM,
        title="Ask for help",
        submit="Send",
        close="Cancel",
        private_metadata=json.dumps(metadata),
        blocks=looks_personal_form(blocks, held or {}),
    )


def reflect_form(session_id: int) -> View:
    return View(
        type="modal",
        callback_id=REFLECT_FORM,
        title="Since the session",
        submit="Save",
        close="Cancel",
        private_metadata=json.dumps({"session": session_id}),
        blocks=[
            InputBlock(
                block_id="answer",
                label=QUESTION,
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=REFLECTION_MAX
                ),
            )
        ],
    )


def reflection(answer: str) -> Message:
    """The answer back to its author, with one click to share it as an update."""
    return Message(
        text="Thanks for your reflection.",
        blocks=[
            section(f":seedling: _{QUESTION}_\n{escape(answer)}"),
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Share as an update", action_id=SHARE_ACTION, value=answer[:2000]
                    )
                ]
            ),
            context("Shared updates go through the privacy guard, as every update does."),
        ],
    )
