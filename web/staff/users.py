"""Admins' pages for staff accounts (/staff/users): each route parses the form, calls one
service of engine/services/users_admin.py (which checks who may do what) and renders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from engine.errors import InvalidInput, InvalidTransition, NotFound
from engine.services import users_admin
from web.deps import ClockDep, SessionDep, SignedInStaff
from web.public.templating import redirect
from web.security import checked_form
from web.staff.routes import render

router = APIRouter(prefix="/staff", include_in_schema=False)
MAX_ID_DIGITS = 12
DONE = {
    "added": "Role granted.",
    "removed": "Role removed.",
    "disabled": "Account disabled. They have been signed out everywhere.",
    "enabled": "Account enabled.",
    "reset": "Authenticator reset. They will set up a new one when they next sign in.",
}


def _id(text: str) -> int:
    if not text.isdigit() or len(text) > MAX_ID_DIGITS:
        raise NotFound(f"There is no user {text[:20]}.")
    return int(text)


@router.get("/users")
def users(request: Request, actor: SignedInStaff, session: SessionDep) -> Response:
    listed = users_admin.list_users(session, actor=actor)
    return render(request, "staff/users.html", {"actor": actor, "nav": "users", "users": listed})


@router.get("/users/new")
def new_user_form(request: Request, actor: SignedInStaff) -> Response:
    users_admin.require_admin(actor)
    return _new_user_page(request, actor, {}, {})


@router.post("/users/new")
async def add_user(
    request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    values = {k: str(form.get(k, "")) for k in ("email", "name", "role", "locality")}
    try:
        user, done = users_admin.add_user(
            session,
            clock=clock,
            actor=actor,
            email=values["email"],
            name=values["name"],
            role=values["role"],
            locality=values["locality"] or None,
        )
    except InvalidInput as exc:
        return _new_user_page(request, actor, values, _errors(exc), status=422)
    context = {"actor": actor, "nav": "users", "user": user, "password": done.password}
    response = render(request, "staff/user_added.html", context)
    response.headers["cache-control"] = "no-store"  # the one-time password is shown once
    return response


@router.get("/users/{user_id}")
def user_page(
    user_id: str, request: Request, actor: SignedInStaff, session: SessionDep
) -> Response:
    done = request.query_params.get("done", "")
    return _user_page(request, actor, session, _id(user_id), done=DONE.get(done))


@router.post("/users/{user_id}/grants")
async def grant(
    user_id: str, request: Request, actor: SignedInStaff, session: SessionDep, clock: ClockDep
) -> Response:
    form = await checked_form(request)
    uid = _id(user_id)
    values = {k: str(form.get(k, "")) for k in ("role", "locality")}
    try:
        users_admin.grant(
            session,
            clock=clock,
            actor=actor,
            user_id=uid,
            role=values["role"],
            locality=values["locality"] or None,
        )
    except InvalidInput as exc:
        return _user_page(request, actor, session, uid, values, _errors(exc), status=422)
    return redirect(request, f"/staff/users/{uid}?done=added")


@router.post("/users/{user_id}/grants/{grant_id}/remove")
async def remove_grant(
    user_id: str,
    grant_id: str,
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    await checked_form(request)
    uid = _id(user_id)
    if not grant_id.isdigit() or len(grant_id) > MAX_ID_DIGITS:
        raise NotFound("That role is not one this user holds.")
    try:
        users_admin.remove_grant(
            session, clock=clock, actor=actor, user_id=uid, grant_id=int(grant_id)
        )
    except InvalidTransition as exc:
        return _user_page(request, actor, session, uid, problem=exc.detail, status=409)
    return redirect(request, f"/staff/users/{uid}?done=removed")


@router.post("/users/{user_id}/{change}")
async def change(
    user_id: str,
    change: str,
    request: Request,
    actor: SignedInStaff,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Disable, enable, or reset the authenticator: buttons with nothing else to fill in."""
    await checked_form(request)
    uid = _id(user_id)
    try:
        if change in ("disable", "enable"):
            active = change == "enable"
            users_admin.set_active(session, clock=clock, actor=actor, user_id=uid, active=active)
        elif change == "reset-authenticator":
            users_admin.reset_authenticator(session, clock=clock, actor=actor, user_id=uid)
        else:
            raise NotFound("There is no such change.")
    except InvalidTransition as exc:
        return _user_page(request, actor, session, uid, problem=exc.detail, status=409)
    done = {"disable": "disabled", "enable": "enabled"}.get(change, "reset")
    return redirect(request, f"/staff/users/{uid}?done={done}")


def _errors(exc: InvalidInput) -> dict[str, str]:
    return {str(e.get("field")): e["message"] for e in exc.errors}


def _error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"text": m, "href": f"#{f}"} for f, m in errors.items()]


def _new_user_page(
    request: Request,
    actor: Any,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    context = {
        "actor": actor,
        "nav": "users",
        "values": values,
        "errors": errors,
        "error_list": _error_list(errors),
        "choices": users_admin.grant_choices(),
    }
    return render(request, "staff/user_new.html", context, status=status)


def _user_page(
    request: Request,
    actor: Any,
    session: Any,
    user_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    *,
    problem: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> Response:
    session.rollback()  # a refused change leaves nothing behind; read afresh
    errors = errors or {}
    error_list = _error_list(errors) + ([{"text": problem, "href": "#history"}] if problem else [])
    context = {
        "actor": actor,
        "nav": "users",
        "user": users_admin.user_page(session, actor=actor, user_id=user_id),
        "values": values or {},
        "errors": errors,
        "error_list": error_list,
        "done": done,
        "choices": users_admin.grant_choices(),
    }
    return render(request, "staff/user.html", context, status=status)
