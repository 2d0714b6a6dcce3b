"""What the dbt Python models need from dbt itself (what they need from the engine is in
:mod:`recsys.frames`): their parameters, which dbt renders as text, as typed values, and their
log lines in dbt's output. General helpers, kept out of any one model's logic (:mod:`recsys.als`,
:mod:`recsys.ranker`) so that every user imports them from here. Not named ``config``: dbt defines
a ``config`` class in every Python model's module, which would hide a module of that name.
"""

from __future__ import annotations

import logging
from dataclasses import fields
from typing import Mapping


def log_to_dbt() -> None:
    """Forward the ``recsys`` loggers' INFO lines to dbt's event stream (terminal and dbt.log).

    dbt drops the logging of other packages; a dbt Python model calls this first. Uses dbt's own
    hook for non-dbt packages; safe to call from every model of a run. Imported lazily so that
    the package works without dbt.
    """
    from dbt_common.events import get_event_manager
    from dbt_common.events.event_handler import DbtEventLoggingHandler, set_package_logging

    if not any(isinstance(handler, DbtEventLoggingHandler) for handler in logging.getLogger("recsys").handlers):
        set_package_logging("recsys", logging.INFO, get_event_manager())


def typed_config(cls, config: Mapping[str, object], what: str) -> dict:
    """The values of ``config`` for the fields of the dataclass ``cls``, converted to each field's
    type (int, float or lower-case str) from the text dbt renders vars as; None, blank or missing
    values are left out, so the field keeps its default. ValueError names ``what`` and the field."""
    values = {}
    for field in fields(cls):
        value = config.get(field.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if field.type == "int":
            values[field.name] = as_int(value, f"{what} {field.name}")
        elif field.type == "float":
            try:
                values[field.name] = float(value)
            except ValueError:
                raise ValueError(f"{what} {field.name}: {value!r} is not a number") from None
        else:
            values[field.name] = str(value).strip().lower()
    return values


def as_int(value: object, name: str) -> int:
    """``value`` (a number or its text, as dbt renders vars) as an int; ValueError names ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not number.is_integer():
        raise ValueError(f"{name}: {value!r} is not a whole number")
    return int(number)
