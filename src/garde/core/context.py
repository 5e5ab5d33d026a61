"""Who is who: the staff directory that behavioural analytics and patient-privacy monitoring share.

Behavioural analytics groups users into peer groups by role and department; privacy monitoring
explains an EHR access by the user's department and flags a patient who shares the user's surname
or address. Both read staff through ``StaffDirectory``; ``garde context import staff`` fills the
stored directory, and ``StaffList`` holds one in memory (tests, the simulator's roster).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StaffMember:
    """One person of the staff, keyed by the login that appears in the logs (compared case-insensitively)."""

    login: str
    display_name: str = ""
    role: str = ""
    department: str = ""
    manager: str = ""
    shift: str = ""
    surname: str = ""
    address: str = ""

    @property
    def key(self) -> str:
        return normalise_login(self.login)


def normalise_login(login: str) -> str:
    """``CHU\\JDupont``, ``jdupont@chu.fr`` and ``JDUPONT`` are one account: ``jdupont``."""
    name = login.strip().rsplit("\\", 1)[-1]
    return name.split("@", 1)[0].casefold()


class StaffDirectory(Protocol):
    """Read access to the staff directory."""

    def member(self, login: str) -> StaffMember | None:
        """The member with this login (any spelling ``normalise_login`` folds together), or None."""
        ...

    def members(self) -> Sequence[StaffMember]:
        """Every member, in a stable order (by normalised login)."""
        ...


class StaffList:
    """A staff directory held in memory."""

    def __init__(self, members: Iterable[StaffMember] = ()) -> None:
        self._by_key: dict[str, StaffMember] = {}
        for m in members:
            self._by_key[m.key] = m  # a later row for the same login replaces the earlier one

    def member(self, login: str) -> StaffMember | None:
        return self._by_key.get(normalise_login(login))

    def members(self) -> Sequence[StaffMember]:
        return [self._by_key[k] for k in sorted(self._by_key)]
