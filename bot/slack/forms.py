"""Forms more than one listener opens or reads: the sharing form (from `/opportunity` and the
Home tab) and the "save it anyway" box the privacy guard's forms carry."""

from __future__ import annotations

from slack_sdk.models.views import View

from bot.services.directory import OrganisationRef
from bot.services.opportunities.types import Caution, OpportunityInput
from bot.slack.blocks import directory as directory_blocks
from bot.slack.blocks import opportunities as opportunity_blocks
from bot.slack.parsing import input_value
from bot.slack.wiring import Services


def saving_anyway(view: dict) -> bool:
    """Whether the person ticked "save it anyway" on a form the privacy guard held back."""
    return directory_blocks.ANYWAY in (input_value(view, directory_blocks.ANYWAY) or [])


def sharing_form(
    services: Services,
    user_id: str,
    metadata: dict,
    start: OpportunityInput | None = None,
    warning: Caution | None = None,
) -> View:
    """The sharing (or, with `edit` in the metadata, editing) form; coordinators may choose the
    organisation a new one is shared for."""
    directory = services.directory
    organisations = (
        [OrganisationRef(org.code, org.name) for org in directory.organisations()]
        if user_id in directory.coordinator_ids()
        else []
    )
    editing = bool(metadata.get("edit"))
    return opportunity_blocks.form(
        metadata, services.today(), start, organisations, warning, editing
    )
