"""The partnership file (TOML): `read` reads and checks it into specs (no database), `apply`
upserts them into the database, `write` exports what the database holds as a file. Their entry
points are importable from here."""

from bot.services.partnership_file.apply import apply_partnership
from bot.services.partnership_file.read import (
    SAMPLE_PARTNERSHIP,
    PartnershipFileError,
    parse_partnership,
    read_partnership_file,
)
from bot.services.partnership_file.write import export_partnership

__all__ = [
    "SAMPLE_PARTNERSHIP",
    "PartnershipFileError",
    "apply_partnership",
    "export_partnership",
    "parse_partnership",
    "read_partnership_file",
]
