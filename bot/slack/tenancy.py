"""Which partnership a request is for: the one whose Slack workspace sent it.

A deployment serving one workspace with a bot token has one partnership, which every request
is for (bot.partnership_scope's fallback), and this does nothing. One serving many (OAuth mode)
finds the partnership of the workspace whose installation authorized the request (Bolt's team
id; the enterprise's for an org-wide install on Enterprise Grid) before any listener runs, and
a request from a workspace that is no partnership's is refused in plain words.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from sqlalchemy import Engine

from bot.partnership_scope import serve
from bot.services.workspace import partnership_of_team, workspace_key

PARTNERSHIP = "partnership"  # the context key of the request's partnership
FOUND = "partnerbot_workspace_partnership"  # (workspace, its partnership or None), if read


def found(context: BoltContext, workspace: str, partnership: int | None) -> None:
    """What the request's authorisation read (bot.slack.oauth) of its workspace's
    partnership, so that the middleware does not read it again."""
    context[FOUND] = (workspace, partnership)


def for_its_partnership(
    engine: Engine, many: bool, refusal: str
) -> Callable[[dict[str, Any], BoltContext, Callable[[], None]], BoltResponse | None]:
    """The middleware that sets each request's partnership (`many`), refusing with `refusal`
    a request from a workspace no partnership has."""

    def middleware(
        body: dict[str, Any], context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        if not many:
            next()
            return None
        workspace = workspace_key(
            context.team_id, context.enterprise_id, context.is_enterprise_install
        )
        if FOUND in context and context[FOUND][0] == workspace:  # by the authorisation's read
            partnership = context[FOUND][1]
        else:  # events Bolt does not authorise (an uninstall), for one
            partnership = partnership_of_team(engine, workspace) if workspace else None
        serve(partnership)
        if partnership is None:
            return _refused(body, refusal)
        context[PARTNERSHIP] = partnership
        next()
        return None

    return middleware


def _refused(body: dict[str, Any], refusal: str) -> BoltResponse:
    """A command is answered in its acknowledgement; anything else is acknowledged (Slack
    would retry an event forever) and changes nothing."""
    if "command" in body:
        answer = {"response_type": "ephemeral", "text": refusal}
        return BoltResponse(
            status=200,
            body=json.dumps(answer),
            headers={"content-type": ["application/json;charset=utf-8"]},
        )
    return BoltResponse(status=200, body="")
