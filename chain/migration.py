"""Moving a ledger to its successor (docs/AUDIT.md, "Migration"), one step per key.

Each step reads the sealed predecessor's state from its own audit trail
(``chain.succession.LedgerState``) and does only what the successor still lacks, so any step
may be run again after an interruption, and each is done by the key that holds the right:

1. ``seal_step`` (the ledger admin): schedule the predecessor's seal, or carry it out once
   its announced delay has passed. While a pool still holds credits the seal is refused,
   naming each such pool (a successor cannot carry pooled serials: their holder is the pool,
   and the units are claims on them); its unit holders redeem them during the delay, or the
   admin seals with them left frozen in the pool (``leave_pooled``).
2. ``deploy_successor`` (the ledger admin): deploy the successor naming the sealed
   predecessor, register its programmes in the same order (so the ids, and with them the
   project keys, are the same) with the same admins, and grant the compliance and pauser roles
   to the predecessor's holders of them.
3. ``carry_programme`` (each programme's admin): its identity policy and namespaces, and its
   issuers (and any further admins), as the predecessor has them.
4. ``carry_accounts`` (compliance): every account's allowlist and freeze flags as the
   predecessor has them, except that an account frozen there while it still has live credits
   to receive stays open until they are carried; run it again after step 5 to apply those
   freezes and the predecessor's batch freezes.
5. ``carry_credits`` (each programme's issuer): its projects, then every live (held) range of
   the predecessor not carried yet, bridged as a batch to its holder with its batch's
   metadata and final labels. Retired, detokenised and cancelled serials stay the
   predecessor's history and are not carried.
6. ``carry_links`` (each programme's admin, after step 5): the predecessor's project links
   involving its projects, proposed by the first of the two admins and accepted by the second,
   once the linked projects' live credits are carried.

``audit verify`` on the successor checks the result (``chain.succession.check_carry``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from web3 import Web3

from chain.client import LedgerClient, TxResult
from chain.deployment import DEFAULT_ADMIN_DELAY, Deployment, deploy_ledger
from chain.domain import Issuance, Label, int_to_date, project_key
from chain.errors import AccessControlUnauthorizedAccount, ConfigurationError
from chain.events import event_specs
from chain.succession import (
    COMPLIANCE_ROLE,
    PAUSER_ROLE,
    CarryReport,
    LedgerState,
    LinkState,
    LiveRange,
    check_carry,
)
from chain.transactions import TxSender
from chain.verify import fetch_logs


def read_state(w3: Web3, deployment: Deployment) -> LedgerState:
    """The ledger's state as its audit trail tells it, read from the node's logs."""
    from chain.events import decode_logs

    audited = set(event_specs("ICarbonLedgerEvents"))
    logs = fetch_logs(w3, deployment.address, deployment.deploy_block, w3.eth.block_number)
    return LedgerState.from_trail(e for e in decode_logs(logs) if e.topics[0] in audited).finish()


def predecessor_of(deployment: Deployment) -> Deployment:
    """The predecessor's record kept in a successor's ``deployment.json``."""
    record = deployment.predecessor_record
    if record is None:
        raise ConfigurationError(
            f"the ledger at {deployment.address} succeeds no ledger this data folder knows "
            "(run `carbon-ledger ledger succeed` on the predecessor's data folder)"
        )
    return record


def _programme_step(
    client: LedgerClient, successor: Deployment, code: str, role_of: Callable[[int], bytes]
) -> tuple[LedgerState, LedgerState, int]:
    """Both ledgers' states and programme ``code``'s id on the successor, for a carry step of
    that programme; refused, naming why, if either ledger lacks it or the signer lacks the
    step's role (``role_of(id)``)."""
    old = read_state(client.w3, predecessor_of(successor))
    if old.programme(code) is None:
        raise ConfigurationError(f"programme {code} is not on the predecessor")
    pid = client.program_id(code)
    if pid == 0:
        raise ConfigurationError(f"programme {code} is not registered on the successor yet")
    _require_role(client, role_of(pid))
    return old, read_state(client.w3, successor), pid


def _require_role(client: LedgerClient, role: bytes) -> None:
    """Refuse up front, as the contract would, a signer without ``role`` (a step that finds
    nothing to do would otherwise pass whoever runs it)."""
    if not client.has_role(role, client.account):
        raise AccessControlUnauthorizedAccount(
            "AccessControlUnauthorizedAccount",
            {"account": client.account.lower(), "neededRole": role},
        )


# ---------------------------------------------------------------- 1. the seal


@dataclass(frozen=True)
class SealStatus:
    sealed: bool
    seal_at: int
    """When a scheduled seal may be carried out (unix time; 0 if none is scheduled)."""
    now: int
    """The latest block's timestamp."""
    pooled: tuple[tuple[int, int], ...] = ()
    """``(pool id, units)`` of each pool that still holds credits (a unit is a tonne held)."""

    @property
    def due(self) -> bool:
        return not self.sealed and self.seal_at != 0 and self.now >= self.seal_at


def seal_status(client: LedgerClient) -> SealStatus:
    now = int(client.w3.eth.get_block("latest")["timestamp"])
    pools = (client.pool(i) for i in range(1, client.pool_count() + 1))
    pooled = tuple((p.pool_id, p.supply) for p in pools if p.supply)
    return SealStatus(client.final_state()[0], client.seal_at(), now, pooled)


def seal_step(
    client: LedgerClient, *, leave_pooled: bool = False
) -> tuple[SealStatus, list[TxResult]]:
    """As the ledger admin: schedule the seal if none is, carry it out if it is due; else
    nothing (the status says when it will be). A due seal is refused while a pool holds
    credits, naming each, unless ``leave_pooled``: they would stay frozen in the sealed pool."""
    _require_role(client, bytes(32))  # DEFAULT_ADMIN_ROLE
    status = seal_status(client)
    if status.sealed:
        return status, []
    if status.seal_at == 0:
        result = client.schedule_seal()
        return seal_status(client), [result]
    if status.due:
        if status.pooled and not leave_pooled:
            raise ConfigurationError(_pooled_refusal(status.pooled))
        result = client.seal()
        return seal_status(client), [result]
    return status, []


def _pooled_refusal(pooled: tuple[tuple[int, int], ...]) -> str:
    held = ", ".join(f"pool {pool} holds {units:,} t" for pool, units in pooled)
    return (
        f"the seal would freeze pooled credits ({held}), which a successor cannot carry: "
        "their holder is the pool and its units are claims on them. Unit holders redeem "
        "them first (pool redeem); or seal anyway with --leave-pooled"
    )


# ---------------------------------------------------------------- 2. the successor


def deploy_successor(
    sender: TxSender,
    predecessor: Deployment,
    *,
    admin_delay: int = DEFAULT_ADMIN_DELAY,
) -> tuple[Deployment, list[TxResult]]:
    """As the ledger admin: the successor of the sealed ``predecessor``, with its programmes
    (same order, same admins) and its compliance and pauser role holders. Returns the new
    record (keeping the predecessor's) and the transactions after the deployment."""
    w3 = sender.w3
    old = read_state(w3, predecessor)
    if not old.sealed:
        raise ConfigurationError(
            f"the ledger at {predecessor.address} is not sealed: run `carbon-ledger ledger seal` "
            "(it schedules the seal, then carries it out once the delay has passed)"
        )
    deployed = deploy_ledger(sender, admin_delay=admin_delay, predecessor=predecessor.address)
    deployment = Deployment(
        **{**asdict(deployed), "predecessor_deployment": asdict(predecessor)},
    )
    client = LedgerClient.for_deployment(w3, deployment, sender)
    results: list[TxResult] = []
    for pid, programme in sorted(old.programmes.items()):
        admins = sorted(programme.admins)
        if not admins:
            raise ConfigurationError(f"programme {programme.code} has no admin on the predecessor")
        result = client.register_program_tx(programme.code, admins[0])
        got = int(result.event("ProgramRegistered").fields["programId"])
        if got != pid:  # a fresh ledger numbers from 1, in registration order
            raise ConfigurationError(f"programme {programme.code} got id {got}, not {pid}")
        results.append(result)
    for role in (COMPLIANCE_ROLE, PAUSER_ROLE):
        for account in sorted(old.role_holders(role)):
            if not client.has_role(role, account):
                results.append(client.grant_role(role, account))
    return deployment, results


# ---------------------------------------------------------------- 3. programmes


def carry_programme(
    client: LedgerClient, successor: Deployment, code: str
) -> tuple[int, list[TxResult]]:
    """As programme ``code``'s admin on the successor: its policy, namespaces, issuers and
    further admins as on the predecessor (only what differs). Returns its id and the
    transactions."""
    old, new, pid = _programme_step(client, successor, code, client.program_admin_role)
    programme = old.programme(code)
    assert programme is not None  # _programme_step refused a programme the predecessor lacks
    now = new.programmes[pid]
    results: list[TxResult] = []
    wanted = (programme.fixed_namespaces, programme.numeric_project_ids)
    if (now.fixed_namespaces, now.numeric_project_ids) != wanted:
        results.append(
            client.set_program_policy(
                pid, fixed_namespaces=wanted[0], numeric_project_ids=wanted[1]
            )
        )
    from chain.programmes import set_namespaces

    results += set_namespaces(client, pid, sorted(programme.namespaces - now.namespaces))
    for account in sorted(programme.issuers - now.issuers):
        results.append(client.grant_issuer(pid, account))
    for account in sorted(programme.admins - now.admins):
        results.append(client.grant_role(client.program_admin_role(pid), account))
    return pid, results


# ---------------------------------------------------------------- 4. accounts


@dataclass(frozen=True)
class AccountsCarried:
    results: list[TxResult]
    held_open: list[str]
    """Accounts frozen on the predecessor, left open until their live credits are carried."""


def carry_accounts(client: LedgerClient, successor: Deployment) -> AccountsCarried:
    """As compliance on the successor: accounts' flags and carried batches' freezes as on the
    predecessor (see the module docstring)."""
    _require_role(client, client.role("COMPLIANCE_ROLE"))
    old = read_state(client.w3, predecessor_of(successor))
    new = read_state(client.w3, successor)
    carry = check_carry(old, new)
    waiting = {p.holder for p in _pending(old, carry)}
    results: list[TxResult] = []
    held_open: list[str] = []
    for account, want in sorted(old.accounts.items()):
        allowed, frozen = want.allowed, want.frozen
        if account in waiting and (frozen or not allowed):
            allowed, frozen = True, False
            held_open.append(account)
        have = new.accounts.get(account)
        if have is None or (have.allowed, have.frozen) != (allowed, frozen):
            results.append(client.set_account(account, allowed=allowed, frozen=frozen))
    for (old_batch, _first), new_batch in sorted(carry.carried.items()):
        frozen = old.batches[old_batch].frozen
        if new.batches[new_batch].frozen != frozen:
            results.append(client.set_batch_frozen(new_batch, frozen))
    return AccountsCarried(results, held_open)


def _pending(old: LedgerState, carry: CarryReport) -> list[LiveRange]:
    return [r for r in old.live_ranges() if (r.batch.batch_id, r.first) not in carry.carried]


# ---------------------------------------------------------------- 5. credits


@dataclass(frozen=True)
class CreditsCarried:
    results: list[TxResult]
    batches: list[dict[str, Any]]
    """One per range carried now: the predecessor's batch and serials, the successor batch."""


def carry_credits(client: LedgerClient, successor: Deployment, code: str) -> CreditsCarried:
    """As an issuer of ``code`` on the successor: its projects, then each live range of the
    predecessor not carried yet (see the module docstring)."""
    old, new, pid = _programme_step(client, successor, code, client.issuer_role)
    results: list[TxResult] = []
    for _key, (owner, project) in sorted(old.projects.items()):
        if owner == code and client.project_program(project_key(pid, project.project_id)) == 0:
            results.append(client.register_project_tx(pid, project))
    carried: list[dict[str, Any]] = []
    pending = [r for r in _pending(old, check_carry(old, new)) if r.batch.code == code]
    for live in pending:
        b = live.batch
        start, end = int_to_date(b.vintage_start), int_to_date(b.vintage_end)
        assert start is not None and end is not None  # the contract checked both dates
        bridged = client.bridge(
            Issuance(
                program_id=pid,
                project_key=project_key(pid, b.project_id),
                namespace=b.namespace,
                first_serial=live.first,
                last_serial=live.last,
                recipient=Web3.to_checksum_address(live.holder),
                vintage_start=start,
                vintage_end=end,
                labels=Label(b.labels),
                metadata_hash=b.metadata_hash,
                registry_reference=b.registry_reference,
            )
        )
        results.append(bridged)
        carried.append(
            {
                "predecessor_batch": b.batch_id,
                "first_serial": live.first,
                "last_serial": live.last,
                "holder": live.holder,
                "batch_id": bridged.batch_id,
            }
        )
    return CreditsCarried(results, carried)


# ---------------------------------------------------------------- 6. project links


Step = tuple[str, int, str | None]
"""A link's status, its link group on the successor and the reason (``LinkCarried``)."""


@dataclass(frozen=True)
class LinkCarried:
    """What ``carry_links`` found or did for one link of the predecessor."""

    link: str
    """``CDM 7014 ⇄ VCS 4823``: the predecessor's proposer's project first."""
    predecessor_group: int
    status: str
    """``accepted`` (linked now), ``proposed`` (now: the other admin accepts), ``awaiting``
    (proposed before, the other admin has not accepted yet), ``carried`` (the successor has it
    already), ``waiting`` (not yet: ``reason``), ``blocked`` (it cannot be: ``reason``)."""
    link_group: int
    """The two projects' link group on the successor (0: not linked there)."""
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LinksCarried:
    results: list[TxResult]
    links: list[LinkCarried]
    """One per link of the predecessor with a project of the programme, in its order."""


def carry_links(client: LedgerClient, successor: Deployment, code: str) -> LinksCarried:
    """As programme ``code``'s admin on the successor, after carry-credits: each link of the
    predecessor between one of ``code``'s projects and another programme's, on this
    programme's side only. The first of the two admins to run it proposes the link, the second
    accepts it; a link the successor has already (its two projects in one group) needs
    nothing.

    The second admin accepts only once the predecessor's live credits of every project of the
    link's group are carried (the carried batches are history, bridged before the link: linked
    first, they would refuse each other as claimed periods) and once the links its group made
    before this one are carried (the predecessor joined each project to its group one at a
    time; in another order two halves of a group could form apart and never join). Until then
    the link is ``waiting``, with the reason; running the step again does what is left."""
    old, new, _pid = _programme_step(client, successor, code, client.program_admin_role)
    uncarried = {(r.batch.code, r.batch.project_id) for r in _pending(old, check_carry(old, new))}
    members: dict[int, set[tuple[str, str]]] = {}
    for link in old.links:
        members.setdefault(link.group, set()).update(
            old.project_name(k) for k in (link.project_key, link.other_key)
        )

    def key_here(name: tuple[str, str]) -> bytes | None:
        """The project's key on the successor, if it is registered there."""
        here = client.program_id(name[0])
        key = project_key(here, name[1])
        return key if here != 0 and client.project_program(key) == here else None

    def carried(link: LinkState) -> bool:
        keys = [key_here(old.project_name(k)) for k in (link.project_key, link.other_key)]
        if keys[0] is None or keys[1] is None:
            return False
        group = client.project_link_group(keys[0])
        return group != 0 and group == client.project_link_group(keys[1])

    results: list[TxResult] = []

    def carry(i: int, link: LinkState, mine: tuple[str, str], theirs: tuple[str, str]) -> Step:
        km, kt = key_here(mine), key_here(theirs)
        if km is None or kt is None:
            missing = [n for n, k in ((mine, km), (theirs, kt)) if k is None]
            return (
                "waiting",
                0,
                "; ".join(
                    f"{c} project {p} is not registered on the successor yet: {c}'s issuer runs "
                    f"`carbon-ledger ledger carry-credits {c}`"
                    for c, p in missing
                ),
            )
        gm, gt = client.project_link_group(km), client.project_link_group(kt)
        if gm != 0 and gm == gt:
            return "carried", gm, None
        if gm != 0 and gt != 0:
            return (
                "blocked",
                0,
                (
                    f"on the successor {' '.join(mine)} is in link group {gm} and "
                    f"{' '.join(theirs)} in link group {gt}: two groups cannot join "
                    "(ProjectAlreadyLinked)"
                ),
            )
        if client.project_link_proposed(kt, km):  # their admin proposed it: accept
            behind = sorted(" ".join(n) for n in members[link.group] if n in uncarried)
            if behind:
                return (
                    "waiting",
                    0,
                    (
                        f"the predecessor's live credits of {', '.join(behind)} are not all "
                        "carried yet: run `carbon-ledger ledger carry-credits` for them first "
                        "(bridged after the link, those pre-link batches would refuse each other)"
                    ),
                )
            earlier = [e for e in old.links[:i] if e.group == link.group and not carried(e)]
            if earlier:
                return (
                    "waiting",
                    0,
                    (
                        f"the predecessor made its group's link {old.link_name(earlier[0])} "
                        "before this one: carry that one first, then run this again"
                    ),
                )
            result = client.accept_project_link(km, kt)
            results.append(result)
            return "accepted", int(result.event("ProjectLinkRecorded").fields["groupId"]), None
        accepts = f"{theirs[0]}'s admin accepts with `carbon-ledger ledger carry-links {theirs[0]}`"
        if client.project_link_proposed(km, kt):
            return "awaiting", 0, f"proposed before: {accepts}"
        results.append(client.propose_project_link(km, kt))
        return "proposed", 0, accepts

    out: list[LinkCarried] = []
    for i, link in enumerate(old.links):
        a, b = old.project_name(link.project_key), old.project_name(link.other_key)
        if code not in (a[0], b[0]):
            continue
        status, group, reason = carry(i, link, *((a, b) if a[0] == code else (b, a)))
        out.append(LinkCarried(old.link_name(link), link.group, status, group, reason))
    return LinksCarried(results, out)
