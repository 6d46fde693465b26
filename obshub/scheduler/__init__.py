"""The scheduler: every user's requests across every telescope and site, fast, near-optimal, explained.

Two tiers: a greedy :mod:`~obshub.scheduler.dispatcher` that always has an answer in well under a
second, and a CP-SAT :mod:`~obshub.scheduler.optimizer` that improves it off the event loop.
Observability is computed once per site and night for all targets, vectorised
(:mod:`~obshub.scheduler.visibility`). Plans explain every request they leave out
(:mod:`~obshub.scheduler.explain`) and are checked by an independent astropy validator
(:mod:`~obshub.scheduler.validator`).

Typical use::

    from obshub.scheduler import Scheduler, load_requests, load_telescopes

    telescopes = load_telescopes("station.yaml")
    requests = load_requests("requests.yaml").requests
    sched = Scheduler(telescopes, requests, "2026-04-15")
    print(sched.plan)
"""

from obshub.scheduler.plan import Plan, PlanEntry, Unscheduled
from obshub.scheduler.replan import Insertion, Scheduler
from obshub.scheduler.requests import (
    Cadence,
    Exposure,
    Request,
    UnobservableRequest,
    Urgency,
    check_observable,
    load_requests,
    make_request,
    parse_requests,
)
from obshub.scheduler.schedule import schedule
from obshub.scheduler.targets import Target, TargetCatalog, UnknownTarget, default_catalog
from obshub.scheduler.telescopes import Downtime, Site, Telescope, load_telescopes
from obshub.scheduler.validator import Violation, validate_plan

__all__ = [
    "Cadence",
    "Downtime",
    "Exposure",
    "Insertion",
    "Plan",
    "PlanEntry",
    "Request",
    "Scheduler",
    "Site",
    "Target",
    "TargetCatalog",
    "Telescope",
    "UnknownTarget",
    "UnobservableRequest",
    "Unscheduled",
    "Urgency",
    "Violation",
    "check_observable",
    "default_catalog",
    "load_requests",
    "load_telescopes",
    "make_request",
    "parse_requests",
    "schedule",
    "validate_plan",
]
