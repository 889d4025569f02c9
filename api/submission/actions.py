"""What a submission sends, and what its receipt means: one ``Action`` class per kind.

An action is built into a call when its account's turn comes (so a bridging's hint sees every
bridging signed before it), and turned into the HTTP response body once mined. Everything an
action needs is in its ``request`` JSON, which is stored with the submission: after a restart
the same action is rebuilt from the row (``ACTIONS[kind].from_request``) to settle what was
in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from web3 import Web3

from api.reads._common import json_int
from api.submission import calls
from api.submission.node import Node, Receipt
from api.submission.parts import PartBook
from chain.errors import CarbonLedgerError, InvalidBridgeHint, SerialsAlreadyBridged
from chain.transactions.signer import Call


@dataclass
class Context:
    """What actions share: the node, the ledger's address and the part book."""

    node: Node
    contract: str
    parts: PartBook


class Action:
    kind: ClassVar[str]

    def request(self) -> dict[str, Any]:
        """JSON enough to rebuild this action (``from_request``)."""
        raise NotImplementedError

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Action:
        raise NotImplementedError

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        """The call to sign now; raising a ``CarbonLedgerError`` fails it without sending."""
        raise NotImplementedError

    def confirmed(self, ctx: Context, receipt: Receipt) -> dict[str, Any]:
        """The response body once mined successfully."""
        return {"tx_hash": receipt.tx_hash, "block_number": receipt.block_number}

    def failed(self, ctx: Context, error: CarbonLedgerError, will_retry: bool) -> None:
        """Clean up after a failure (``will_retry``: it is about to be built again)."""

    def retryable(self, error: CarbonLedgerError) -> bool:
        return False

    @property
    def relayed(self) -> bool:
        """Whether this relays a signed request: its errors name ``typed_data.message``'s
        fields (``api.problems.request_fields``)."""
        return False


def hexbytes(data: bytes) -> str:
    return "0x" + data.hex()


def unhex(text: str) -> bytes:
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


class Plain(Action):
    """A fixed call (operator provisioning: programmes, roles, allowlisting, funding)."""

    kind = "admin"

    def __init__(self, to: str, data: bytes, gas: int, value: int = 0, what: str = "") -> None:
        self.call = Call(to, data, gas, value)
        self.what = what

    def request(self) -> dict[str, Any]:
        c = self.call
        return {
            "to": c.to,
            "data": hexbytes(c.data),
            "gas": c.gas,
            "value": str(c.value),
            "what": self.what,
        }

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Plain:
        return cls(
            request["to"],
            unhex(request["data"]),
            int(request["gas"]),
            int(request["value"]),
            request.get("what", ""),
        )

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        return self.call

    def confirmed(self, ctx: Context, receipt: Receipt) -> dict[str, Any]:
        return {"what": self.what, "tx_hash": receipt.tx_hash, "block_number": receipt.block_number}


class Bridge(Action):
    """A bridging, plain (the sender is the issuer) or relaying a registry's signature."""

    kind = "issuance"

    def __init__(
        self,
        issuance: dict[str, Any],
        response: dict[str, Any],
        signed: dict[str, Any] | None = None,
    ) -> None:
        self.issuance = issuance
        """The contract's Issuance struct as JSON (bytes as hex)."""
        self.response = response
        """Response members known before mining (program, namespace, serials, quantity)."""
        self.signed = signed
        """``{"signer", "deadline", "signature"}`` for a relayed bridging."""

    def request(self) -> dict[str, Any]:
        return {"issuance": self.issuance, "response": self.response, "signed": self.signed}

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Bridge:
        return cls(request["issuance"], request["response"], request.get("signed"))

    def struct(self) -> tuple[Any, ...]:
        i = self.issuance
        return (
            i["programId"],
            unhex(i["projectKey"]),
            i["namespace"],
            i["firstSerial"],
            i["lastSerial"],
            Web3.to_checksum_address(i["recipient"]),
            i["vintageStart"],
            i["vintageEnd"],
            i["labels"],
            unhex(i["metadataHash"]),
            i["registryReference"],
        )

    def _part(self) -> tuple[int, str, int]:
        i = self.issuance
        return i["programId"], i["namespace"], i["firstSerial"]

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        i = self.issuance
        if attempt > 0:
            ctx.parts.repair(*self._part())
        hint = ctx.parts.reserve(i["programId"], i["namespace"], i["firstSerial"], i["lastSerial"])
        signed = self.signed
        if signed is None:
            data = calls.calldata("bridge", self.struct(), hint)
        else:
            data = calls.calldata(
                "bridgeWithSignature",
                self.struct(),
                hint,
                Web3.to_checksum_address(signed["signer"]),
                int(signed["deadline"]),
                unhex(signed["signature"]),
            )
        gas = calls.bridge_gas(i["namespace"], i["registryReference"], signed=signed is not None)
        return Call(ctx.contract, data, gas)

    @property
    def relayed(self) -> bool:
        return self.signed is not None

    def retryable(self, error: CarbonLedgerError) -> bool:
        # A stale hint (someone else bridged near by, or a bridging hinted against ours failed).
        return isinstance(error, InvalidBridgeHint)

    def failed(self, ctx: Context, error: CarbonLedgerError, will_retry: bool) -> None:
        ctx.parts.release(*self._part())
        if isinstance(error, SerialsAlreadyBridged) and error.tx_hash:
            ctx.parts.repair(*self._part())  # learn the part we did not know about

    def confirmed(self, ctx: Context, receipt: Receipt) -> dict[str, Any]:
        ctx.parts.confirm(*self._part())
        (bridged,) = receipt.topics("BatchBridged")  # batchId is indexed: no decoding
        return settled(self.response | {"batch_id": int.from_bytes(bridged[2])}, receipt)


class RegisterProject(Action):
    kind = "project"

    def __init__(self, program_id: int, project: list[str]) -> None:
        self.program_id = program_id
        self.project = project

    def request(self) -> dict[str, Any]:
        return {"program_id": self.program_id, "project": self.project}

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> RegisterProject:
        return cls(int(request["program_id"]), list(request["project"]))

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        data = calls.calldata("registerProject", self.program_id, tuple(self.project))
        return Call(ctx.contract, data, calls.project_gas(tuple(self.project)))


def settled(response: dict[str, Any], receipt: Receipt) -> dict[str, Any]:
    """The stored 201 body of a mined write, with its transaction."""
    return response | {
        "tx_hash": receipt.tx_hash,
        "block_number": receipt.block_number,
        "status": "confirmed",
    }


def serial_run(first: int, last: int) -> dict[str, Any]:
    """A run of serials as a mined write's body names it (big serials as strings)."""
    return {
        "first_serial": json_int(first),
        "last_serial": json_int(last),
        "quantity": last - first + 1,
    }


class StoredFields(Action):
    """An action that is a dataclass whose fields are exactly its stored request, with the gas
    planned for it; mined, it answers its ``response`` with the transaction."""

    gas: int
    response: dict[str, Any]

    def request(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Action:
        return cls(**cls.stored(request))

    @classmethod
    def stored(cls, request: dict[str, Any]) -> dict[str, Any]:
        """The fields' values as ``request`` holds them."""
        return {f.name: request[f.name] for f in fields(cls)}  # type: ignore[arg-type]

    def confirmed(self, ctx: Context, receipt: Receipt) -> dict[str, Any]:
        return settled(self.response, receipt)


class _SpendRuns(StoredFields):
    """An action over runs of one batch's serials, ``[first, last, range_start]`` each, sent as
    one call per run (several: one ``multicall``). Subclasses say the call for one run."""

    batch_id: int
    runs: list[list[int]]

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Action:
        values = cls.stored(request)
        return cls(**values | {"batch_id": int(values["batch_id"]), "gas": int(values["gas"])})

    def run_call(self, first: int, last: int, start: int) -> bytes:
        raise NotImplementedError

    def calldata(self) -> bytes:
        each = [self.run_call(first, last, start) for first, last, start in self.runs]
        return each[0] if len(each) == 1 else calls.calldata("multicall", each)

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        return Call(ctx.contract, self.calldata(), self.gas)


@dataclass
class Transfer(_SpendRuns):
    """A holder's transfer of runs of its serials to another account."""

    kind: ClassVar[str] = "transfer"
    batch_id: int
    runs: list[list[int]]
    to: str
    gas: int
    response: dict[str, Any]

    def run_call(self, first: int, last: int, start: int) -> bytes:
        to = Web3.to_checksum_address(self.to)
        return calls.calldata("transfer", self.batch_id, first, last, to, start)


@dataclass
class Detokenise(_SpendRuns):
    """A holder returns runs of its serials to the off-chain registry."""

    kind: ClassVar[str] = "detokenisation"
    batch_id: int
    runs: list[list[int]]
    registry_reference: str
    gas: int
    response: dict[str, Any]

    def run_call(self, first: int, last: int, start: int) -> bytes:
        ref = self.registry_reference
        return calls.calldata("detokenise", self.batch_id, first, last, start, ref)


@dataclass
class Cancel(_SpendRuns):
    """An issuer's or programme admin's cancellation of a holder's runs of serials."""

    kind: ClassVar[str] = "cancellation"
    batch_id: int
    holder: str
    runs: list[list[int]]
    reason: str
    gas: int
    response: dict[str, Any]

    def run_call(self, first: int, last: int, start: int) -> bytes:
        holder = Web3.to_checksum_address(self.holder)
        return calls.calldata("cancel", self.batch_id, holder, first, last, start, self.reason)


class Retire(Action):
    """A retirement by its holder, or relayed on the holder's signature."""

    kind = "retirement"

    def __init__(
        self,
        retirement: list[Any],
        range_start: int,
        gas: int,
        response: dict[str, Any],
        signed: dict[str, Any] | None = None,
    ) -> None:
        self.retirement = retirement
        """The contract's Retirement struct as a JSON list."""
        self.range_start = range_start
        self.gas = gas
        self.response = response
        self.signed = signed

    def request(self) -> dict[str, Any]:
        return {
            "retirement": self.retirement,
            "range_start": self.range_start,
            "gas": self.gas,
            "response": self.response,
            "signed": self.signed,
        }

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Retire:
        return cls(
            request["retirement"],
            int(request["range_start"]),
            int(request["gas"]),
            request["response"],
            request.get("signed"),
        )

    @property
    def relayed(self) -> bool:
        return self.signed is not None

    def calldata(self) -> bytes:
        struct = tuple(self.retirement)
        if self.signed is None:
            return calls.calldata("retire", struct, self.range_start)
        s = self.signed
        return calls.calldata(
            "retireWithSignature",
            struct,
            self.range_start,
            Web3.to_checksum_address(s["signer"]),
            int(s["deadline"]),
            unhex(s["signature"]),
        )

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        return Call(ctx.contract, self.calldata(), self.gas)

    def confirmed(self, ctx: Context, receipt: Receipt) -> dict[str, Any]:
        retired = next(e for e in receipt.events() if e.name == "CreditsRetired")
        rid = int(retired.fields["retirementId"])
        r = retired.fields["retirement"]
        run = serial_run(int(r["firstSerial"]), int(r["lastSerial"]))
        certificate = {"certificate_url": f"/v1/retirements/{rid}/certificate"}
        return settled(self.response | {"id": rid} | run | certificate, receipt)


class Filler(Action):
    """A zero-value transfer to itself that takes a nonce a refused transaction left empty, so
    the account's later transactions are not stuck behind the gap."""

    kind = "filler"

    def request(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Filler:
        return cls()

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        return Call(sender, b"", calls.TRANSFER_ETH_GAS)


ACTIONS: dict[str, type[Action]] = {
    cls.kind: cls for cls in (Plain, Bridge, RegisterProject, Transfer, Retire, Filler)
}


class BatchSetting(Action):
    """A batch's freeze flag or labels: one fixed call (``setBatchFrozen``, ``setLabels``)."""

    kind = "batch_setting"

    def __init__(self, data: bytes, gas: int, response: dict[str, Any]) -> None:
        self.data = data
        self.gas = gas
        self.response = response

    def request(self) -> dict[str, Any]:
        return {"data": hexbytes(self.data), "gas": self.gas, "response": self.response}

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> BatchSetting:
        return cls(unhex(request["data"]), int(request["gas"]), request["response"])

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        return Call(ctx.contract, self.data, self.gas)

    def confirmed(self, ctx: Context, receipt: Receipt) -> dict[str, Any]:
        return settled(self.response, receipt)


ACTIONS.update({cls.kind: cls for cls in (Detokenise, Cancel, BatchSetting)})
