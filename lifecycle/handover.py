"""Handing a contract manager's live contracts to a successor: who may, who is suitable, and
why nobody is deactivated while they still manage live contracts. Pure."""

from collections.abc import Collection

from lifecycle.rules import Role


def handover_refusal(by_id: int | None, by_roles: Collection[Role], leaver_id: int) -> str:
    """Admins and procurement hand anyone's contracts over; a manager hands over their own."""
    if by_id == leaver_id or Role.ADMIN in by_roles or Role.PROCUREMENT in by_roles:
        return ""
    return "only the contract manager themselves, procurement or an admin hand contracts over"


def successor_problem(
    leaver_id: int, successor_id: int, successor_active: bool, successor_roles: Collection[Role]
) -> str:
    """Why this person cannot take over the contracts, or '' when they can."""
    if successor_id == leaver_id:
        return "the successor must be someone other than the person handing over"
    if not successor_active:
        return "the successor is deactivated: choose an active officer"
    if Role.CONTRACT_MANAGER not in successor_roles:
        return "the successor must hold the contract_manager role"
    return ""


def deactivation_conflict(name: str, live_contracts: int) -> str:
    """Why this person cannot be switched off yet, or '' when they can: live contracts must
    never be left without a manager."""
    if live_contracts == 0:
        return ""
    plural, them = ("contract", "it") if live_contracts == 1 else ("contracts", "them")
    return (
        f"{name} still manages {live_contracts} live {plural}: name a successor (an active "
        f"contract manager) to hand {them} to in the same step, or hand {them} over first"
    )


def role_change_conflict(name: str, live_contracts: int) -> str:
    """Why this person cannot lose the contract_manager role yet, or '' when they can."""
    if live_contracts == 0:
        return ""
    plural, them = ("contract", "it") if live_contracts == 1 else ("contracts", "them")
    return (
        f"{name} still manages {live_contracts} live {plural}: hand {them} over to a successor "
        "first, then change their roles"
    )
