"""The programme: set by the operator, read (cached) by every earn, published to everyone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..domain.errors import CurrencyMismatch, InvalidRequest, RuleViolation
from ..domain.money import parse_amount, parse_currency, parse_rate, to_str
from ..domain.program import DEFAULT_PROGRAM, Partner, Program, program_document
from ..domain.settlement import OPERATOR
from .requests import ProgramDocument, VoucherRulesDocument
from .retrying import until_written
from .runtime import Runtime, iso


def current_program(rt: Runtime) -> Program:
    return rt.cache.get("program", lambda: rt.store.directory.get_program() or DEFAULT_PROGRAM)


def fee_per_point(rt: Runtime, issuer: str) -> Decimal:
    """What `issuer` pays the operator per point it issues, as its profile says now (cached like the programme):
    recorded on each entry that issues points, so that settlement charges it, and refunds it on a return, at
    that rate. The operator pays no fee, nor does a funder that is no partner."""
    if issuer == OPERATOR:
        return Decimal(0)
    partner = partner_profile(rt, issuer)
    return Decimal(0) if partner is None else partner.fee_per_point


def partner_profile(rt: Runtime, partner_id: str) -> Partner | None:
    """A partner's profile, cached like the programme (a change made here forgets it at once)."""
    return rt.cache.get(f"partner:{partner_id}", lambda: rt.store.directory.get_partner(partner_id))


def set_program(rt: Runtime, request: ProgramDocument) -> dict[str, Any]:
    parse_currency(request.currency)
    if parse_rate(request.point_value, "point_value") <= 0:
        raise InvalidRequest("point_value must be greater than zero", field="point_value")
    for index, tier in enumerate(request.tiers):
        if parse_rate(tier.earn_multiplier, f"tiers[{index}].earn_multiplier") < 1:
            raise InvalidRequest(
                "an earn multiplier below 1 would take points away", field=f"tiers[{index}].earn_multiplier"
            )
    birthday = request.bonuses.birthday_month_multiplier if request.bonuses else None
    if birthday is not None and parse_rate(birthday, "bonuses.birthday_month_multiplier") <= 1:
        raise InvalidRequest("a birthday multiplier must be above 1", field="bonuses.birthday_month_multiplier")
    first = request.bonuses.first_purchase if request.bonuses else None
    if first is not None and first.min_amount != "0":  # an amount in the programme's currency, or "0"
        parse_amount(first.min_amount, request.currency, field="bonuses.first_purchase.min_amount")
    if request.vouchers is not None:
        _check_vouchers(request.vouchers, request.currency, parse_rate(request.point_value, "point_value"))
    partners = rt.store.directory.list_partners()
    _check_funders(request.funders(), partners)
    _check_currency(rt, request.currency, partners)
    _check_usable_at(request.vouchers, partners)
    _check_plan_vouchers(rt, request.vouchers)
    document = request.model_dump(mode="json", exclude_none=True)
    # A whole replacement: a retry after a lost write stores the same document over the newer version.
    version = until_written(rt, lambda: rt.store.directory.put_program(document, iso(rt.now())), "the programme")
    rt.cache.forget("program")
    return {**program_document(current_program(rt)), "version": version}


def _check_funders(funders: dict[str, str], partners: list[Partner]) -> None:
    """A funder issues points and pays for them at settlement: it must be the operator or a partner."""
    known = {partner.partner_id for partner in partners} | {OPERATOR}
    for field, funder in funders.items():
        if funder not in known:
            raise InvalidRequest(f"funder {funder} is neither the operator nor a partner", field=field)


def _check_vouchers(rules: VoucherRulesDocument, currency: str, point_value: Decimal) -> None:
    """A voucher is worth at least the points it takes (the issuers' liability for them); what it adds over that
    is a bonus someone pays."""
    for n, denomination in enumerate(rules.denominations):
        field = f"vouchers.denominations[{n}]"
        value = parse_amount(denomination.value, currency, field=f"{field}.value")
        worth = denomination.points * point_value
        if value < worth:
            raise InvalidRequest(
                f"{denomination.points} points are worth {to_str(worth)} {currency}: a voucher cannot be worth less",
                field=f"{field}.value",
            )
        if value > worth and denomination.bonus_funder is None:
            raise InvalidRequest(
                f"the {to_str(value - worth)} {currency} this voucher adds over its points needs a bonus_funder",
                field=f"{field}.bonus_funder",
            )


def _check_plan_vouchers(rt: Runtime, rules: VoucherRulesDocument | None) -> None:
    """A paid membership plan's monthly voucher is a denomination of the programme, its bonus the operator's: the
    programme keeps them while a plan (on sale or renewing) gives them. Change the plan first."""
    funders = {d.points: d.bonus_funder for d in rules.denominations} if rules is not None else {}
    for plan in rt.store.directory.list_plans():
        points = plan.monthly_voucher
        if points is not None and (points not in funders or funders[points] not in (None, OPERATOR)):
            raise RuleViolation(
                f"plan {plan.plan_id} gives a monthly voucher of {points} points: keep that denomination, its bonus "
                "funded by the operator, or change the plan first",
                field="vouchers.denominations",
            )


def _check_usable_at(rules: VoucherRulesDocument | None, partners: list[Partner]) -> None:
    if rules is None or rules.usable_at == "all":
        return
    known = {partner.partner_id for partner in partners}
    for n, partner_id in enumerate(rules.usable_at):
        if partner_id not in known:
            raise InvalidRequest(f"{partner_id} is not a partner", field=f"vouchers.usable_at[{n}]")


def _check_currency(rt: Runtime, currency: str, partners: list[Partner]) -> None:
    """The programme's currency is every partner's: it cannot change under partners trading in another. Keeping
    the currency it has is always allowed (partners onboarded before the rule may trade in others: their
    programme must still be changeable)."""
    stored = rt.store.directory.get_program(consistent=True)
    if currency == (stored or DEFAULT_PROGRAM).currency:
        return
    others = sorted({p.currency for p in partners} - {currency})
    if others:
        raise CurrencyMismatch(
            f"partners trade in {', '.join(others)}: the programme's currency stays theirs", field="currency"
        )


def decimal_or_int(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else to_str(value)
