"""A ledger's state as its audit trail tells it, and the check that a successor ledger carried
over exactly its sealed predecessor's live credits (docs/AUDIT.md, "Migration").

``LedgerState.from_trail`` folds a ledger's audited events (decoded, in order) into what a
successor must reproduce: programmes with their admins, policy, namespaces and issuers; the
compliance and pauser role holders; projects; accounts' flags; every batch's metadata and final
labels and freeze; its holdings (``chain.replay``); and the counts the seal's state commitment
covers. It needs no node: a copy of the trail is enough.

``check_carry`` compares a successor's bridgings with its predecessor's final state. On the
successor a **carried batch** is one whose serials lie in a range its predecessor bridged (and
did not void) in the same programme (by code) and namespace. Each must be exactly one live
(held) range of the predecessor, bridged to its holder with the batch's metadata (project,
vintage, final labels, metadata hash, registry reference); anything else is double counting
and is named: serials retired, detokenised or cancelled on the predecessor bridged again, more
than the live range, a range carried twice, another holder, other metadata. A live range no
carried batch covers is reported as not (yet) carried. A carried batch the successor's
programme admin later voided no longer counts (its serials are cancelled there), so a void and
re-bridge to someone else is named too.

Project links: each link of the predecessor must be on the successor (its two projects, by
programme code and project id, in one link group there); one that is not is reported as not
(yet) carried, and links only the successor has are fine. Since a carried link starts with
empty claims, a new bridging on the successor of a linked project whose vintage overlaps a
batch another programme of its group bridged on the predecessor is named as well.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain.domain import (
    AccountStatus,
    LinkStep,
    Project,
    RangeState,
    project_key,
    state_name,
)
from chain.events import LedgerEvent
from chain.replay import HoldingsReplay

ISSUER_ROLE_TAG = keccak(b"ISSUER_ROLE")
PROGRAM_ADMIN_ROLE_TAG = keccak(b"PROGRAM_ADMIN_ROLE")
COMPLIANCE_ROLE = keccak(b"COMPLIANCE_ROLE")
PAUSER_ROLE = keccak(b"PAUSER_ROLE")
SEALED_STEP = 2


def issuer_role(program_id: int) -> bytes:
    """``keccak256(abi.encode(ISSUER_ROLE tag, uint16 programId))``, as the contract derives it."""
    return keccak(encode(["bytes32", "uint16"], [ISSUER_ROLE_TAG, program_id]))


def program_admin_role(program_id: int) -> bytes:
    return keccak(encode(["bytes32", "uint16"], [PROGRAM_ADMIN_ROLE_TAG, program_id]))


@dataclass
class ProgrammeState:
    program_id: int
    code: str
    fixed_namespaces: bool = False
    numeric_project_ids: bool = False
    namespaces: set[str] = field(default_factory=set)
    """The namespaces its admin allows now."""
    admins: set[str] = field(default_factory=set)
    issuers: set[str] = field(default_factory=set)
    first_admin: str | None = None
    """The admin its registration named (the grant that follows ``ProgramRegistered``)."""
    block: int = 0
    """Where it was registered."""


@dataclass
class BatchState:
    """A batch as bridged (its ``BatchBridged`` issuance), with its final labels and flags."""

    batch_id: int
    code: str
    namespace: str
    first_serial: int
    last_serial: int
    recipient: str
    project_id: str
    vintage_start: int
    vintage_end: int
    labels: int
    bridged_labels: int
    metadata_hash: bytes
    registry_reference: str
    block: int
    frozen: bool = False
    voided: bool = False


@dataclass(frozen=True)
class LiveRange:
    """A range of a batch held live at the end of the trail."""

    batch: BatchState
    first: int
    last: int
    holder: str

    @property
    def quantity(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class Segment:
    """A stretch of one (programme, namespace) the ledger bridged: live or spent."""

    first: int
    last: int
    batch_id: int
    holder: str
    state: RangeState


@dataclass(frozen=True)
class LinkState:
    """A link the ledger recorded (``ProjectLinkRecorded`` step 2) between two projects of
    different programmes."""

    project_key: bytes
    """The accepting admin's project."""
    other_key: bytes
    """The proposing admin's project."""
    group: int
    """The link group both joined (this ledger's numbering)."""
    block: int


@dataclass
class LedgerState:
    programmes: dict[int, ProgrammeState] = field(default_factory=dict)
    projects: dict[bytes, tuple[str, Project]] = field(default_factory=dict)
    """project key → (programme code, project)."""
    roles: dict[bytes, set[str]] = field(default_factory=dict)
    accounts: dict[str, AccountStatus] = field(default_factory=dict)
    batches: dict[int, BatchState] = field(default_factory=dict)
    replay: HoldingsReplay = field(default_factory=HoldingsReplay)
    links: list[LinkState] = field(default_factory=list)
    """Every link, in the order the ledger recorded them."""
    link_groups: dict[bytes, int] = field(default_factory=dict)
    """project key → the link group it is in (linked projects only)."""
    retirement_count: int = 0
    sealed: bool = False
    seal_block: int | None = None
    seq: int = 0
    predecessor: str | None = None
    """The ledger the trail's first event (``LedgerSucceeded``) names, if any."""
    predecessor_head: bytes | None = None
    predecessor_commitment: bytes | None = None

    @classmethod
    def from_trail(cls, trail: Iterable[LedgerEvent]) -> LedgerState:
        state = cls()
        for event in trail:
            state.apply(event)
        return state

    # ------------------------------------------------------------ folding the trail

    def apply(self, event: LedgerEvent) -> None:
        f = event.fields
        name = event.name
        self.seq = event.seq or self.seq
        self.replay.apply(event)
        if name == "ProgramRegistered":
            pid = int(f["programId"])
            code = bytes(f["code"]).rstrip(b"\0").decode("ascii", "replace")
            self.programmes[pid] = ProgrammeState(pid, code, block=event.block_number)
        elif name == "ProgramPolicyUpdated":
            p = self.programmes.get(int(f["programId"]))
            if p is not None:
                p.fixed_namespaces = bool(f["fixedNamespaces"])
                p.numeric_project_ids = bool(f["numericProjectIds"])
        elif name == "NamespaceUpdated":
            p = self.programmes.get(int(f["programId"]))
            if p is not None:
                if f["allowed"]:
                    p.namespaces.add(str(f["namespace"]))
                else:
                    p.namespaces.discard(str(f["namespace"]))
        elif name == "RoleUpdated":
            holders = self.roles.setdefault(bytes(f["role"]), set())
            account = str(f["account"]).lower()
            for p in self.programmes.values():
                if p.first_admin is None and bytes(f["role"]) == program_admin_role(p.program_id):
                    p.first_admin = account
            if f["granted"]:
                holders.add(account)
            else:
                holders.discard(account)
        elif name == "ProjectRegistered":
            pid = int(f["programId"])
            p = f["project"]
            self.projects[bytes(f["projectKey"])] = (
                self.code_of(pid),
                Project(
                    str(p["projectId"]),
                    str(p["name"]),
                    str(p["country"]),
                    str(p["methodology"]),
                    str(p["projectType"]),
                ),
            )
        elif name == "AccountUpdated":
            self.accounts[str(f["account"]).lower()] = AccountStatus(
                bool(f["allowed"]), bool(f["frozen"])
            )
        elif name == "BatchBridged":
            self._bridged(event)
        elif name == "LabelsUpdated":
            b = self.batches.get(int(f["batchId"]))
            if b is not None:
                b.labels = int(f["labels"])
        elif name == "BatchFreezeChanged":
            b = self.batches.get(int(f["batchId"]))
            if b is not None:
                b.frozen = bool(f["frozen"])
        elif name == "BatchVoided":
            b = self.batches.get(int(f["batchId"]))
            if b is not None:
                b.voided = True
        elif name == "ProjectLinkRecorded" and int(f["step"]) == LinkStep.LINKED:
            link = LinkState(
                bytes(f["projectKey"]), bytes(f["otherKey"]), int(f["groupId"]), event.block_number
            )
            self.links.append(link)
            self.link_groups[link.project_key] = self.link_groups[link.other_key] = link.group
        elif name == "CreditsRetired":
            self.retirement_count = max(self.retirement_count, int(f["retirementId"]))
        elif name == "SealRecorded" and int(f["step"]) == SEALED_STEP:
            self.sealed, self.seal_block = True, event.block_number
        elif name == "LedgerSucceeded":
            self.predecessor = str(f["predecessor"]).lower()
            self.predecessor_head = bytes(f["predecessorHead"])
            self.predecessor_commitment = bytes(f["predecessorCommitment"])

    def _bridged(self, event: LedgerEvent) -> None:
        i = event.fields["issuance"]
        pid = int(i["programId"])
        key = bytes(i["projectKey"])
        project = self.projects.get(key)
        batch_id = int(event.fields["batchId"])
        self.batches[batch_id] = BatchState(
            batch_id=batch_id,
            code=self.code_of(pid),
            namespace=str(i["namespace"]),
            first_serial=int(i["firstSerial"]),
            last_serial=int(i["lastSerial"]),
            recipient=str(i["recipient"]).lower(),
            project_id=project[1].project_id if project else "0x" + key.hex(),
            vintage_start=int(i["vintageStart"]),
            vintage_end=int(i["vintageEnd"]),
            labels=int(i["labels"]),
            bridged_labels=int(i["labels"]),
            metadata_hash=bytes(i["metadataHash"]),
            registry_reference=str(i["registryReference"]),
            block=event.block_number,
        )

    # ------------------------------------------------------------ reading it

    def code_of(self, program_id: int) -> str:
        p = self.programmes.get(program_id)
        return p.code if p else f"#{program_id}"

    def programme(self, code: str) -> ProgrammeState | None:
        return next((p for p in self.programmes.values() if p.code == code), None)

    def project_name(self, key: bytes) -> tuple[str, str]:
        """``(programme code, project id)`` of project ``key``: how a project is known on
        either side of a succession (its key there is derived from the same two)."""
        known = self.projects.get(key)
        return (known[0], known[1].project_id) if known else ("?", "0x" + key.hex())

    def project_key_of(self, code: str, project_id: str) -> bytes | None:
        """The key of project ``project_id`` of programme ``code`` on this ledger, if registered."""
        programme = self.programme(code)
        if programme is None:
            return None
        key = project_key(programme.program_id, project_id)
        return key if key in self.projects else None

    def link_name(self, link: LinkState) -> str:
        """``CDM 7014 ⇄ VCS 4823``: the proposer's project first."""
        return " ⇄ ".join(
            " ".join(self.project_name(k)) for k in (link.other_key, link.project_key)
        )

    def linked_on(self, other: LedgerState, link: LinkState) -> bool:
        """Whether ``other`` (a successor) has this ledger's ``link``: its two projects (by
        programme code and project id) in one link group there, however the group was formed."""
        groups = []
        for key in (link.project_key, link.other_key):
            there = other.project_key_of(*self.project_name(key))
            groups.append(other.link_groups.get(there) if there is not None else None)
        return groups[0] is not None and groups[0] == groups[1]

    def role_holders(self, role: bytes) -> set[str]:
        return set(self.roles.get(role, ()))

    def finish(self) -> LedgerState:
        """Fill each programme's admins and issuers from the role holders (after the fold)."""
        for p in self.programmes.values():
            p.admins = self.role_holders(program_admin_role(p.program_id))
            p.issuers = self.role_holders(issuer_role(p.program_id))
        return self

    @property
    def batch_count(self) -> int:
        return max(self.batches, default=0)

    def commitment(self, head: bytes) -> bytes:
        """``keccak256(abi.encode(uint64 batchCount, uint64 retirementCount, uint64 seq,
        bytes32 head))``: what ``finalState()`` commits to."""
        return keccak(
            encode(
                ["uint64", "uint64", "uint64", "bytes32"],
                [self.batch_count, self.retirement_count, self.seq, head],
            )
        )

    def live_ranges(self, code: str | None = None) -> list[LiveRange]:
        """Every range held live at the end of the trail (of programme ``code``), in batch and
        serial order."""
        out: list[LiveRange] = []
        for batch_id, holdings in sorted(self.replay.batches.items()):
            b = self.batches.get(batch_id)
            if b is None or (code is not None and b.code != code):
                continue
            out += [
                LiveRange(b, r.first, r.last, r.holder.lower())
                for r in holdings.ranges
                if r.state == RangeState.HELD
            ]
        return out

    def segments(self) -> dict[tuple[str, str], list[Segment]]:
        """Per (programme code, namespace): every stretch of serials bridged and not voided, in
        serial order, with its holder and state."""
        out: dict[tuple[str, str], list[Segment]] = {}
        for batch_id, holdings in self.replay.batches.items():
            b = self.batches.get(batch_id)
            if b is None or b.voided:
                continue
            out.setdefault((b.code, b.namespace), []).extend(
                Segment(r.first, r.last, batch_id, r.holder.lower(), r.state)
                for r in holdings.ranges
            )
        for segs in out.values():
            segs.sort(key=lambda s: s.first)
        return out


@dataclass(frozen=True)
class CarryFinding:
    """A difference between a successor's carried state and its predecessor's final state."""

    block: int | None
    event: str
    field: str
    message: str
    pending: bool = False
    """A live range not (yet) carried: the carry-over is incomplete, nothing is counted twice."""


@dataclass
class CarryReport:
    live_ranges: int = 0
    live_tonnes: int = 0
    carried_ranges: int = 0
    carried_tonnes: int = 0
    links: int = 0
    """The predecessor's project links."""
    carried_links: int = 0
    """... of which the successor has (both projects in one link group)."""
    findings: list[CarryFinding] = field(default_factory=list)
    carried: dict[tuple[int, int], int] = field(default_factory=dict)
    """(predecessor batch, first serial of its live range) → the successor batch carrying it."""

    @property
    def pending(self) -> list[CarryFinding]:
        return [f for f in self.findings if f.pending]


_METADATA = (
    ("project_id", "projectId"),
    ("vintage_start", "vintageStart"),
    ("vintage_end", "vintageEnd"),
    ("metadata_hash", "metadataHash"),
    ("registry_reference", "registryReference"),
)


def _shown(value: object) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else repr(value)


def check_carry(old: LedgerState, new: LedgerState) -> CarryReport:
    """The successor ``new``'s carried batches against the predecessor ``old``'s final state
    (see the module docstring)."""
    report = CarryReport()
    segments = old.segments()
    starts = {k: [s.first for s in v] for k, v in segments.items()}
    carried = report.carried
    linked = _LinkedHistory(old)
    for b in sorted(new.batches.values(), key=lambda b: b.batch_id):
        if b.voided:
            continue
        segs = segments.get((b.code, b.namespace), [])
        at = starts.get((b.code, b.namespace), [])
        i = max(bisect.bisect_right(at, b.first_serial) - 1, 0)
        hit: list[Segment] = []
        for s in segs[i:]:
            if s.first > b.last_serial:
                break
            if s.last >= b.first_serial:
                hit.append(s)
        if not hit:  # a new bridging of the successor: not the predecessor's serials
            report.findings += linked.overlaps(b)
            continue
        report.findings += _check_one(old, b, hit, carried)
    report.findings += _check_projects(old, new)
    report.findings += _check_programmes(old, new)
    for link in old.links:
        report.links += 1
        if old.linked_on(new, link):
            report.carried_links += 1
            continue
        report.findings.append(
            CarryFinding(
                link.block,
                "ProjectLinkRecorded",
                "not_carried",
                f"link not carried yet: {old.link_name(link)} (link group {link.group} on the "
                "predecessor); each programme admin runs `carbon-ledger ledger carry-links "
                "CODE`, after carry-credits",
                pending=True,
            )
        )
    for live in old.live_ranges():
        report.live_ranges += 1
        report.live_tonnes += live.quantity
        if (live.batch.batch_id, live.first) in carried:
            report.carried_ranges += 1
            report.carried_tonnes += live.quantity
            continue
        report.findings.append(
            CarryFinding(
                old.seal_block,
                "range",
                "not_carried",
                f"not carried yet: {live.batch.code} {live.batch.namespace} serials "
                f"{live.first}..{live.last} ({live.quantity} t) of predecessor batch "
                f"{live.batch.batch_id}, held live by {live.holder}",
                pending=True,
            ),
        )
    return report


class _LinkedHistory:
    """The predecessor's batches of each project link group, by member: a new bridging on the
    successor of a linked project must not overlap a period another programme of its group
    bridged on the predecessor (the successor's claims start afresh at the carried link, so
    its contract cannot refuse that)."""

    def __init__(self, old: LedgerState) -> None:
        names = {key: old.project_name(key) for key in old.link_groups}
        self.group = {names[k]: g for k, g in old.link_groups.items()}
        self.batches: dict[int, list[BatchState]] = {}
        for batch in old.batches.values():
            g = self.group.get((batch.code, batch.project_id))
            if g is not None and not batch.voided:
                self.batches.setdefault(g, []).append(batch)

    def overlaps(self, b: BatchState) -> list[CarryFinding]:
        g = self.group.get((b.code, b.project_id))
        if g is None or b.voided:
            return []
        for p in sorted(self.batches.get(g, []), key=lambda p: p.batch_id):
            if (
                p.code != b.code
                and b.vintage_start <= p.vintage_end
                and p.vintage_start <= b.vintage_end
            ):
                return [
                    CarryFinding(
                        b.block,
                        "BatchBridged",
                        "vintage",
                        f"successor batch {b.batch_id} ({b.code} {b.project_id}, "
                        f"{b.vintage_start}-{b.vintage_end}) overlaps predecessor batch "
                        f"{p.batch_id} ({p.code} {p.project_id}, {p.vintage_start}-"
                        f"{p.vintage_end}) of its link group {g} there: the same period issued "
                        "under two programmes",
                    )
                ]
        return []


def _check_one(
    old: LedgerState, b: BatchState, hit: list[Segment], carried: dict[tuple[int, int], int]
) -> list[CarryFinding]:
    where = (
        f"successor batch {b.batch_id} ({b.code} {b.namespace} {b.first_serial}..{b.last_serial})"
    )

    def finding(fld: str, message: str) -> CarryFinding:
        return CarryFinding(b.block, "BatchBridged", fld, f"{where}: {message}")

    spent = [s for s in hit if s.state != RangeState.HELD]
    if spent:
        s = spent[0]
        return [
            finding(
                "firstSerial",
                f"double counting: serials {max(s.first, b.first_serial)}.."
                f"{min(s.last, b.last_serial)} were {state_name(s.state)} on the predecessor "
                f"(batch {s.batch_id}), and are bridged again",
            )
        ]
    live = hit[0]
    if len(hit) > 1 or (live.first, live.last) != (b.first_serial, b.last_serial):
        return [
            finding(
                "lastSerial",
                f"carries {b.first_serial}..{b.last_serial}, but the predecessor's live range "
                f"there is {live.first}..{live.last} of batch {live.batch_id}"
                + (f" (and {len(hit) - 1} more range(s))" if len(hit) > 1 else "")
                + ": a carry-over is exactly one live range",
            )
        ]
    key = (live.batch_id, live.first)
    if key in carried:
        return [
            finding(
                "firstSerial",
                f"double counting: predecessor batch {live.batch_id}'s live range "
                f"{live.first}..{live.last} was already carried as successor batch {carried[key]}",
            )
        ]
    carried[key] = b.batch_id
    out: list[CarryFinding] = []
    if b.recipient != live.holder:
        out.append(
            finding(
                "recipient", f"bridged to {b.recipient}, the predecessor's holder is {live.holder}"
            )
        )
    source = old.batches[live.batch_id]
    for attr, fld in _METADATA:
        want, have = getattr(source, attr), getattr(b, attr)
        if want != have:
            out.append(
                finding(
                    fld,
                    f"{fld} {_shown(have)}, predecessor batch {live.batch_id} has {_shown(want)}",
                )
            )
    if b.bridged_labels != source.labels:
        out.append(
            finding(
                "labels",
                f"labels {b.bridged_labels}, predecessor batch {live.batch_id} ended with "
                f"{source.labels}",
            )
        )
    return out


def _check_projects(old: LedgerState, new: LedgerState) -> list[CarryFinding]:
    """A project the successor registered again (same programme code and project id) must
    say what the predecessor's registration said: carried credits keep their project."""
    before = {(code, p.project_id): p for code, p in old.projects.values()}
    out: list[CarryFinding] = []
    for code, project in new.projects.values():
        was = before.get((code, project.project_id))
        if was is None or was == project:
            continue
        differs = [
            name
            for name in ("name", "country", "methodology", "project_type")
            if getattr(was, name) != getattr(project, name)
        ]
        out.append(
            CarryFinding(
                None,
                "ProjectRegistered",
                differs[0],
                f"{code} project {project.project_id} registered again with other "
                f"{', '.join(differs)} than on the predecessor "
                f"({getattr(project, differs[0])!r}, was {getattr(was, differs[0])!r})",
            )
        )
    return out


class PredecessorSerials:
    """Which serials a successor's predecessor bridged (and did not void), to keep an import
    on the successor from bridging them again: live ones arrive by the carry-over, spent ones
    stay the predecessor's history."""

    def __init__(self, state: LedgerState, address: str) -> None:
        self.address = address
        self._segments = state.segments()
        self._starts = {k: [s.first for s in v] for k, v in self._segments.items()}

    def overlap(self, code: str, namespace: str, first: int, last: int) -> str | None:
        """Why ``first..last`` of ``code``/``namespace`` may not be bridged here, or ``None``."""
        segs = self._segments.get((code, namespace), [])
        i = max(bisect.bisect_right(self._starts.get((code, namespace), []), first) - 1, 0)
        for s in segs[i:]:
            if s.first > last:
                break
            if s.last < first:
                continue
            lo, hi = max(s.first, first), min(s.last, last)
            if s.state == RangeState.HELD:
                return (
                    f"serials {lo}..{hi} are live on the predecessor ledger {self.address} "
                    f"(batch {s.batch_id}) and not carried over yet: `carbon-ledger ledger "
                    "carry-credits` brings them, to their holder"
                )
            return (
                f"serials {lo}..{hi} were {state_name(s.state)} on the predecessor ledger "
                f"{self.address} (batch {s.batch_id}): they stay its history, bridging them "
                "again would count them twice"
            )
        return None


def _check_programmes(old: LedgerState, new: LedgerState) -> list[CarryFinding]:
    """Each programme of the predecessor is registered on the successor naming one of the
    admins it had at the seal: the ledger admin who deploys the successor cannot take a
    programme over (and then grant itself its issuer role) on the way."""
    out: list[CarryFinding] = []
    for programme in sorted(old.programmes.values(), key=lambda p: p.program_id):
        now = new.programme(programme.code)
        if now is None:
            out.append(
                CarryFinding(
                    None,
                    "ProgramRegistered",
                    "code",
                    f"programme {programme.code} of the predecessor is not registered yet",
                    pending=True,
                )
            )
        elif now.first_admin not in programme.admins:
            out.append(
                CarryFinding(
                    now.block,
                    "ProgramRegistered",
                    "admin",
                    f"programme {programme.code} registered naming {now.first_admin} its admin; "
                    f"on the predecessor its admins were {', '.join(sorted(programme.admins))}",
                )
            )
    return out
