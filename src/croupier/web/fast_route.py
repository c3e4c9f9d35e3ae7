"""A route class for the hottest endpoints: FastAPI documents them, but does not resolve them.

FastAPI resolves an endpoint's parameters on every request by walking its dependency tree
(``solve_dependencies``: cache keys, scopes, callable classification, telemetry hooks), then
parses the JSON body with the standard library and validates it in Python mode. For the spin,
the busiest route by far, that came to ≈ 150 µs of a worker's CPU a request (an in-process
harness, same process, alternating with the plain route: 234 µs against 381 µs a request for the
whole HTTP path, measured in session 18), against a spin's ≈ 1 ms.

``FastRoute`` keeps the endpoint's declarative signature, so FastAPI builds its OpenAPI entry
(body schema, response model, security) exactly as for any route, and resolves the few kinds of
parameter a hot endpoint needs itself:

* the ``Request``;
* dependencies that take nothing but the ``Request`` (``async def``, no ``yield``, no
  sub-dependencies), awaited in FastAPI's order before the body is validated; those given as
  ``dependencies=[...]`` (to the route or to the router that includes it) run for their effect;
* one JSON body model, validated straight from the bytes (``model_validate_json``), with
  FastAPI's 422 (a ``RequestValidationError`` whose locations start with ``"body"``).

The endpoint must return a ``Response`` itself. A route that declares anything else is refused
when FastAPI builds its handler, never served differently: when the route is made, and for what
an including router adds, when FastAPI first resolves that inclusion.
``app.dependency_overrides`` does not apply to these routes.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from croupier.web.errors import located

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class FastRoute(APIRoute):
    """See the module's docstring."""

    def get_route_handler(self) -> Handler:
        dependant = _as_included(self).dependant
        plan = _ResolutionPlan.of(dependant, self.endpoint)
        return plan.handler(self.endpoint)


def _as_included(route: APIRoute) -> Any:
    """The route as the router including it sees it, with that router's dependencies, as
    ``APIRoute.get_route_handler`` reads it: FastAPI (since 0.137) builds one handler per
    inclusion, under a context variable; before, each inclusion was a copy of the route."""
    context_var = getattr(fastapi_routing, "_effective_route_context_var", None)
    context = context_var.get() if context_var is not None else None
    return context if context is not None and context.original_route is route else route


@dataclass(frozen=True)
class _JsonBody:
    name: str
    model: type[BaseModel]

    async def read(self, request: Request) -> BaseModel:
        raw = await request.body()
        if not raw:
            raise _body_error("missing", "Field required")
        if not _is_json(request.headers.get("content-type")):
            raise _body_error("content_type", "The body must be JSON (application/json).")
        try:
            return self.model.model_validate_json(raw)
        except ValidationError as exc:
            raise located(exc, "body") from None


@dataclass(frozen=True)
class _ResolutionPlan:
    request_name: str | None
    dependencies: tuple[tuple[str | None, Callable[[Request], Awaitable[Any]]], ...]
    body: _JsonBody | None

    @classmethod
    def of(cls, dependant: Dependant, endpoint: Callable[..., Any]) -> _ResolutionPlan:
        where = f"FastRoute endpoint {endpoint.__qualname__}"
        _only_request_and_body(dependant, where)
        if not inspect.iscoroutinefunction(endpoint):
            raise TypeError(f"{where}: must be an async def")
        dependencies = []
        for sub in dependant.dependencies:
            call = sub.call
            label = sub.name or getattr(call, "__qualname__", repr(call))
            # No name: a dependency given in ``dependencies=[...]``, run for its effect alone.
            if not (inspect.iscoroutinefunction(call) and sub.request_param_name):
                raise TypeError(f"{where}: dependency {label} must be an async def (request)")
            _only_request_and_body(sub, where)
            if sub.body_params or sub.dependencies:
                raise TypeError(f"{where}: dependency {label} may take only the request")
            dependencies.append((sub.name, call))
        body = None
        if dependant.body_params:
            field = dependant.body_params[0]
            model = field.field_info.annotation
            if (
                len(dependant.body_params) > 1  # FastAPI would embed each under its name
                or isinstance(field.field_info, Form)
                or getattr(field.field_info, "embed", False)
                or not (isinstance(model, type) and issubclass(model, BaseModel))
            ):
                raise TypeError(f"{where}: the body must be one JSON model, not embedded")
            body = _JsonBody(field.name, model)
        return cls(dependant.request_param_name, tuple(dependencies), body)

    def handler(self, endpoint: Callable[..., Awaitable[Any]]) -> Handler:
        async def handle(request: Request) -> Response:
            arguments: dict[str, Any] = {}
            if self.request_name is not None:
                arguments[self.request_name] = request
            for name, dependency in self.dependencies:
                value = await dependency(request)
                if name is not None:
                    arguments[name] = value
            if self.body is not None:
                arguments[self.body.name] = await self.body.read(request)
            response = await endpoint(**arguments)
            if not isinstance(response, Response):
                raise TypeError(f"{endpoint.__qualname__} must return a Response")
            return response

        return handle


def _only_request_and_body(dependant: Dependant, where: str) -> None:
    others = {
        "path": dependant.path_params,
        "query": dependant.query_params,
        "header": dependant.header_params,
        "cookie": dependant.cookie_params,
        "response": dependant.response_param_name,
        "background tasks": dependant.background_tasks_param_name,
        "security scopes": dependant.security_scopes_param_name,
        "websocket": dependant.websocket_param_name,
        "connection": dependant.http_connection_param_name,
    }
    declared = sorted(kind for kind, value in others.items() if value)
    if declared:
        raise TypeError(f"{where}: cannot resolve {', '.join(declared)} parameters")


def _is_json(content_type: str | None) -> bool:
    """FastAPI's rule: ``application/json`` or ``application/<anything>+json``."""
    if not content_type:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _body_error(kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body",), "msg": message, "input": None}])
