"""The project links an export shows: a row of one registry listing another programme's units
(the Gold Standard export's CDM CERs, ``RW-5-1463953-2-2-0-7014 - ...`` on the row of GSID
4823) says that project CDM 7014 transitioned to, or is also certified as, GS 4823. No tonne
may be issued under both for one period, so the two should be linked on the ledger
(``carbon-ledger project link``, by both programme admins). The importer reports what it finds
and whether the ledger links them; it never links on its own: only the two admins can.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chain.client import LedgerClient
from chain.domain import project_key
from chain.importer.model import RegistryBlock


@dataclass(frozen=True)
class FoundLink:
    """``program project`` (the export's own) lists units of ``other_program other_project``."""

    program: str
    project: str
    other_program: str
    other_project: str
    rows: int  # how many rows show it
    linked: bool | None = None  # on the ledger: None until checked

    def text(self) -> str:
        state = {True: "linked on the ledger", False: "not linked on the ledger", None: "?"}
        return (
            f"{self.program} {self.project} ⇄ {self.other_program} {self.other_project} "
            f"({state[self.linked]}; {self.rows} row{'s' if self.rows != 1 else ''})"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "program": self.program,
            "project": self.project,
            "other_program": self.other_program,
            "other_project": self.other_project,
            "rows": self.rows,
            "linked": self.linked,
        }


def find_links(home_program: str, rows: Iterable[object]) -> list[FoundLink]:
    """Each (own project, other programme's project) pair the export's rows show, in the order
    first seen."""
    counts: dict[tuple[str, str, str], int] = {}
    for row in rows:
        if isinstance(row, RegistryBlock) and row.home_project and row.program != home_program:
            pair = (row.home_project, row.program, row.project.project_id)
            counts[pair] = counts.get(pair, 0) + 1
    return [
        FoundLink(home_program, mine, program, theirs, n)
        for (mine, program, theirs), n in counts.items()
    ]


def check_links(reader: LedgerClient, found: Iterable[FoundLink]) -> list[FoundLink]:
    """``found`` with ``linked``: both projects registered and in one link group."""
    checked = []
    for link in found:
        mine, theirs = (
            reader.program_id(link.program),
            reader.program_id(link.other_program),
        )
        linked = False
        if mine and theirs:
            a = reader.project_link_group(project_key(mine, link.project))
            b = reader.project_link_group(project_key(theirs, link.other_project))
            linked = a != 0 and a == b
        checked.append(
            FoundLink(
                link.program,
                link.project,
                link.other_program,
                link.other_project,
                link.rows,
                linked,
            )
        )
    return checked
