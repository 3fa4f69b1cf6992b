"""Directory surfaces: organisation list and card, join replies, whoami, the edit form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.services.directory import (
    ADDRESS_MAX,
    NAME_MAX,
    TEXT_MAX,
    JoinResult,
    MemberView,
    Offer,
    OrganisationCard,
    OrganisationEdit,
    OrganisationRef,
    OrganisationSummary,
    UnknownOrganisation,
)
from bot.services.gate import FieldsLookPersonal, LooksPersonal
from bot.services.privacy import explain
from bot.slack.blocks.common import (
    MESSAGE_BLOCKS_MAX,
    Message,
    clip,
    context,
    escape,
    section,
    user_link,
)

JOIN_ACTION = "directory_join"
SHOW_ACTION = "directory_show"
EDIT_CALLBACK = "directory_edit"
# A form's "I've checked, save it anyway" box, as on the opportunity form (blocks.opportunities).
ANYWAY = "anyway"
ERROR_MAX = 150  # a form field's error is a short line under the field: kept within 150


def _name(ref: OrganisationRef | OrganisationSummary | OrganisationCard) -> str:
    return f"*{escape(ref.name)}* ({escape(ref.code)})"


def _button(text: str, action_id: str, code: str, primary: bool = False) -> ButtonElement:
    return ButtonElement(
        text=clip(text, 75),
        action_id=action_id,
        value=code,
        style="primary" if primary else None,
    )


def organisation_list(
    organisations: list[OrganisationSummary],
    coordinator_ids: list[str],
    by_email: Sequence[str] = (),
) -> Message:
    """The directory, one section per organisation, within the 50-block message limit; the
    coordinators last, those on Slack mentioned, those reached by email (`by_email`) named."""
    if not organisations:
        return Message(
            text="No organisations yet.",
            blocks=[
                section("The directory is empty."),
                context(
                    "A coordinator can add organisations with `/partners org add CODE Name` "
                    "or by loading the partnership file."
                ),
            ],
        )
    room = MESSAGE_BLOCKS_MAX - 4
    blocks: list[Block] = [HeaderBlock(text=f"Partner organisations ({len(organisations)})")]
    for org in organisations[:room]:
        facts = [f"{org.member_count} in Slack"]
        if org.offers_desks:
            facts.append("offers hot desks")
        description = (
            escape(clip(org.description, 300)) if org.description else "_No description yet._"
        )
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"{_name(org)}\n{description}\n_{' · '.join(facts)}_"),
                accessory=_button("Details", SHOW_ACTION, org.code),
            )
        )
    if len(organisations) > room:
        blocks.append(context(f"…and {len(organisations) - room} more: `/partners org <name>`."))
    coordinators = [user_link(uid) for uid in coordinator_ids]
    coordinators += [f"{escape(name)} (by email)" for name in by_email]
    who = ", ".join(coordinators) or "none yet"
    blocks.append(context(f"Coordinators: {who} · Join yours: `/partners join <organisation>`"))
    return Message(text=f"{len(organisations)} partner organisations", blocks=blocks)


def _offer_text(offer: Offer | None) -> str:
    if offer is None:
        return "No hot desks offered."
    days = ", ".join(day.title() for day in offer.weekdays)
    desks = f"{offer.desks} desk{'s' if offer.desks != 1 else ''}"
    slots = "half or whole days" if offer.half_days else "whole days"
    approval = "; visits need the host's approval" if offer.needs_approval else ""
    return f"{desks} on {days}, {slots}{approval}."


def organisation_card(card: OrganisationCard, viewer_id: str) -> Message:
    workers = ", ".join(
        user_link(w.slack_user_id) if w.slack_user_id else escape(w.name) for w in card.key_workers
    )
    members = ", ".join(user_link(uid) for uid in card.member_ids[:40])
    if len(card.member_ids) > 40:
        members += f" and {len(card.member_ids) - 40} more"
    blocks: list[Block] = [
        HeaderBlock(text=clip(card.name, 150)),
        section(escape(card.description) or "_No description yet._"),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Short code*\n{escape(card.code)}"),
                MarkdownTextObject(text=f"*Key worker*\n{workers or 'not named yet'}"),
                MarkdownTextObject(text=f"*Address*\n{escape(clip(card.address, 1900)) or '—'}"),
                MarkdownTextObject(text=f"*Hot desks*\n{_offer_text(card.offer)}"),
            ]
        ),
    ]
    if card.visitor_protocol:
        blocks.append(section(f"*Visitor protocol*\n{escape(card.visitor_protocol)}"))
    blocks.append(section(f"*In Slack*\n{members or 'Nobody has joined yet.'}"))
    if card.by_email:
        people = "\n".join(
            escape(f"{p.name}{f' ({p.role})' if p.role else ''}: {p.email}") for p in card.by_email
        )
        blocks.append(section(f"*Not on Slack, by email*\n{people}"))
    if viewer_id not in card.member_ids:
        blocks.append(
            ActionsBlock(elements=[_button(f"Join {card.name}", JOIN_ACTION, card.code, True)])
        )
    return Message(text=escape(f"{card.name} ({card.code})"), blocks=blocks)


def joined(result: JoinResult) -> Message:
    if result.already_member:
        return Message(text=escape(f"You're already in {result.organisation.name}."), blocks=[
            section(f"You're already in {_name(result.organisation)}."),
        ])  # fmt: skip
    moved = f" (you've left {_name(result.previous)})" if result.previous else ""
    return Message(
        text=escape(f"You've joined {result.organisation.name}."),
        blocks=[
            section(f":wave: You've joined {_name(result.organisation)}{moved}."),
            context(
                "Your updates and bookings will carry its name. "
                "`/partners org` shows its page; `/partners help` shows what's next."
            ),
        ],
    )


def unknown_organisation(error: UnknownOrganisation, action_id: str) -> Message:
    """Say nothing matched, and offer the closest organisations as one-click choices."""
    query = escape(clip(error.query, 100))
    if not error.suggestions:
        return Message(
            text=escape(f"No organisation matches “{error.query}”."),
            blocks=[
                section(f":mag: No organisation matches “{query}”."),
                context("`/partners orgs` lists them all."),
            ],
        )
    verb = "Join" if action_id == JOIN_ACTION else "Show"
    return Message(
        text=escape(f"No organisation matches “{error.query}”. Did you mean one of these?"),
        blocks=[
            section(f":mag: No organisation matches “{query}”. Did you mean…"),
            ActionsBlock(
                elements=[
                    _button(f"{verb} {ref.name}", action_id, ref.code) for ref in error.suggestions
                ]
            ),
            context("`/partners orgs` lists them all."),
        ],
    )


def whoami(view: MemberView) -> Message:
    organisation = _name(view.organisation) if view.organisation else "none yet"
    lines = [f"*You*: {user_link(view.slack_user_id)}", f"*Organisation*: {organisation}"]
    if view.is_coordinator:
        lines.append("*Role*: coordinator of the partnership")
    lines.append(
        "*Weekly digest by DM*: "
        + ("on" if view.digest_dm else "off")
        + f" (`/partners digest dm {'off' if view.digest_dm else 'on'}` to change)"
    )
    lines.append(
        "*Hot-desk visits in the digest*: "
        + ("by name" if view.name_in_digest else "organisation only")
        + f" (`/partners digest name {'off' if view.name_in_digest else 'on'}` to change)"
    )
    if view.digest_email:
        by_email = f"to {view.digest_email} (`/partners digest email off` to stop)"
    elif view.digest_email_asked:
        by_email = f"waiting for you to confirm {view.digest_email_asked} from the link sent there"
    else:
        by_email = "off (`/partners digest email on` to get it)"
    lines.append(f"*Weekly digest by email*: {escape(by_email)}")
    lines.append(
        "*Asked how your hot-desk visits went*: "
        + ("yes" if view.visit_stories else "no")
        + f" (`/partners stories {'off' if view.visit_stories else 'on'}` to change)"
    )
    if view.key_worker_for:
        lines.append("*Key worker for*: " + ", ".join(_name(ref) for ref in view.key_worker_for))
    blocks: list[Block] = [section("\n".join(lines))]
    if view.organisation is None:
        blocks.append(context("Join yours with `/partners join <organisation>`."))
    return Message(text=escape(f"You are {view.name}"), blocks=blocks)


def digest_preference(wanted: bool) -> Message:
    if wanted:
        text = ":newspaper: The weekly digest will come to you by DM too, on Monday mornings."
    else:
        text = "The weekly digest won't come by DM; it is still posted in the digest channel."
    return Message(text=text, blocks=[section(text)])


def digest_name_preference(wanted: bool) -> Message:
    if wanted:
        text = "The weekly digest will name you when you visit a hot desk."
    else:
        text = (
            "The weekly digest won't name you when you visit a hot desk: "
            "it counts you with your organisation's other visitors."
        )
    return Message(text=text, blocks=[section(text)])


def coordinator_added(user_id: str, added: bool) -> Message:
    if not added:
        return Message(
            text="Already a coordinator.",
            blocks=[section(f"{user_link(user_id)} is already a coordinator.")],
        )
    return Message(
        text="Coordinator added.",
        blocks=[section(f":white_check_mark: {user_link(user_id)} is now a coordinator.")],
    )


def organisation_added(ref: OrganisationRef) -> Message:
    return Message(
        text=escape(f"Added {ref.name}."),
        blocks=[
            section(f":white_check_mark: Added {_name(ref)} to the directory."),
            context(f"Fill in its details with `/partners org edit {escape(ref.code)}`."),
        ],
    )


def organisation_saved(ref: OrganisationRef) -> Message:
    return Message(
        text=escape(f"Saved {ref.name}."),
        blocks=[section(f":white_check_mark: Saved the directory entry for {_name(ref)}.")],
    )


def _text_input(
    block_id: str,
    label: str,
    initial: str,
    limit: int,
    multiline: bool = False,
    optional: bool = True,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id="value",
            initial_value=initial[:limit] or None,
            multiline=multiline,
            max_length=limit,
        ),
    )


def edit_form(
    card: OrganisationCard,
    typed: OrganisationEdit | None = None,
    held: Mapping[str, LooksPersonal] | None = None,
) -> View:
    """The coordinators' form for one organisation; its code travels in private_metadata.
    Shown again with what was `typed` when the privacy guard `held` fields back (see
    `looks_personal_form`)."""
    unlinked = [w.name for w in card.key_workers if not w.slack_user_id]
    workers_hint = (
        "Also listed without a Slack account: " + ", ".join(unlinked) if unlinked else None
    )
    typed = typed or OrganisationEdit(
        name=card.name,
        description=card.description,
        address=card.address,
        visitor_protocol=card.visitor_protocol,
        key_worker_ids=[w.slack_user_id for w in card.key_workers if w.slack_user_id],
    )
    blocks: list[Block] = [
        _text_input("name", "Name", typed.name, NAME_MAX, optional=False),
        _text_input("description", "What it does", typed.description, TEXT_MAX, True),
        _text_input("address", "Address", typed.address, ADDRESS_MAX, True),
        _text_input("protocol", "Visitor protocol", typed.visitor_protocol, TEXT_MAX, True),
        InputBlock(
            block_id="key_workers",
            label="Key workers",
            optional=True,
            hint=workers_hint,
            element=UserMultiSelectElement(
                action_id="value",
                placeholder="Choose people",
                initial_users=list(typed.key_worker_ids) or None,
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK,
        private_metadata=card.code,
        title=PlainTextObject(text=clip(f"Edit {card.code}", 24)),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=looks_personal_form(blocks, held or {}),
    )


# Typed text the privacy guard held back, in a form --------------------------------------------


def _finding_line(looks: LooksPersonal) -> str:
    first = looks.findings[0]
    more = f" (and {len(looks.findings) - 1} more)" if len(looks.findings) > 1 else ""
    kind = first.kind.value[:1].upper() + first.kind.value[1:]
    return f"{kind} found: {first.masked}{more}. {explain(first.kind)}"


def looks_personal_error(looks: LooksPersonal, box_shown: bool) -> str:
    """A field's error: what was found (masked), why it matters and what to do, in one short
    line (the "what to do" is left off rather than the finding when it would not fit)."""
    line = _finding_line(looks)
    if not looks.may_share_anyway:
        what_to_do = " Never saved here: rephrase it."
    elif box_shown:
        what_to_do = " Not a client's? Tick the box below."
    else:
        what_to_do = " Rephrase without the client's details."
    for candidate in (line + what_to_do, line):
        if len(candidate) <= ERROR_MAX:
            return candidate
    return clip(line, ERROR_MAX)


def looks_personal_errors(refused: FieldsLookPersonal, box_shown: bool) -> dict[str, str]:
    """The form's errors, one by each field held back."""
    return {field: looks_personal_error(looks, box_shown) for field, looks in refused.held.items()}


def _looks_personal_note(looks: LooksPersonal) -> ContextBlock:
    found = "; ".join(
        f"{finding.kind.value} `{escape(finding.masked)}` — {explain(finding.kind)}"
        for finding in looks.findings[:3]
    )
    return context(f":lock: *Not saved yet: this looks like a client's personal data.* {found}")


def anyway_box() -> InputBlock:
    """The coordinator's informed choice to save text the guard held back (`warn` policy)."""
    choice = "I've checked: this is not a client's details — save it anyway"
    return InputBlock(
        block_id=ANYWAY,
        label="Save anyway?",
        optional=True,
        element=CheckboxesElement(
            action_id="value", options=[Option(text=clip(choice, 75), value=ANYWAY)]
        ),
    )


def looks_personal_form(blocks: Sequence[Block], held: Mapping[str, LooksPersonal]) -> list[Block]:
    """A form's blocks with, beside each field `held` back, what was found and why, and at the
    end the box to save anyway (where the policy allows it): the form shown again, as typed."""
    if not held:
        return list(blocks)
    shown: list[Block] = []
    for block in blocks:
        shown.append(block)
        looks = held.get(getattr(block, "block_id", None) or "")
        if looks is not None:
            shown.append(_looks_personal_note(looks))
    if all(looks.may_share_anyway for looks in held.values()):
        shown += [
            context(
                "Other organisations see this. A client's details belong in your own "
                "organisation's records: rephrase, or tick the box if it isn't a client's."
            ),
            anyway_box(),
        ]
    return shown


def digest_email_asked(address: str) -> Message:
    text = (
        f":email: I've sent a link to *{escape(address)}*: follow it to confirm, and the weekly "
        "digest will come there too. Nothing else goes to that address until you do "
        "(`/partners digest email off` to stop)."
    )
    return Message(text=text, blocks=[section(text)])


def digest_email_stopped(was_on: bool) -> Message:
    if not was_on:
        text = "The digest wasn't coming by email; nothing to stop."
    else:
        text = "Done: no more digests by email (`/partners digest email on` to start again)."
    return Message(text=text, blocks=[section(text)])
