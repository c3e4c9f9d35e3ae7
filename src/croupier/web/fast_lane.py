"""A lane for the hottest requests around the app's generic layers: FastAPI's own middleware
(server errors, exception telemetry, body limits, exception handlers, its exit stack), the
router's candidate-by-candidate match and the route's request/response wrapper.

Each of those layers wraps the request's ``send`` or ``receive``, the route's wrapper opens two
exit stacks, and the router walks the included routers: ≈ 60 µs of CPU a request before and
after the endpoint (in-process, a body-validating fast route with the app's error handlers and
request context: 121 µs a request through the generic stack, 57 µs through the lane;
bench/RESULTS.md, session 23), ≈ 5 % of a spin's CPU. The lane serves each ``FastRoute`` with a
fixed path (no path parameters) itself:

* through the app's own user middleware (``add_middleware``: request ids, metrics, CORS),
  instantiated a second time around the lane, so a lane request is logged, counted and answered
  as any other (a bug's 500 included, which the generic stack answers outside that middleware,
  without its headers);
* by the handler FastAPI built for the route as included (with its routers' dependencies);
* with the app's exception handlers, looked up as Starlette's ``ExceptionMiddleware`` does
  (an ``HTTPException``'s status code first, then the exception's classes in MRO order); the
  handler for ``Exception`` answers anything else, as ``ServerErrorMiddleware`` would.

Every other request, and a request whose method the fixed path does not serve (405 and its
``Allow`` header come from the router), goes down the generic stack. An app with a body size
limit (``FastAPI(max_body_size=...)``) gets no lane: the lane would not enforce it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi import routing as fastapi_routing
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from croupier.web.fast_route import FastRoute, Handler


class FastLane:
    """The ASGI app in front of ``stack`` (see the module's docstring)."""

    def __init__(self, app: FastAPI, stack: ASGIApp) -> None:
        self.stack = stack
        handlers = _lane_handlers(app)
        self.served = frozenset(handlers)
        lane: ASGIApp = _LaneCore(app, handlers)
        for cls, args, kwargs in reversed(app.user_middleware):
            lane = cls(lane, *args, **kwargs)
        self.lane = lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["method"], _route_path(scope)) in self.served:
            await self.lane(scope, receive, send)
        else:
            await self.stack(scope, receive, send)


class _LaneCore:
    def __init__(self, app: FastAPI, handlers: dict[tuple[str, str], tuple[Any, Handler]]):
        self.handlers = handlers
        # Keyed by status code or by exception class, as FastAPI registers them; looked up
        # here as Starlette's (private) ``_lookup_exception_handler`` does.
        registered = app.exception_handlers.items()
        self.status_handlers = {k: v for k, v in registered if isinstance(k, int)}
        self.class_handlers = {k: v for k, v in registered if isinstance(k, type)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route, handler = self.handlers[scope["method"], _route_path(scope)]
        scope["route"] = route  # as the router sets it: metrics label requests by route
        scope["endpoint"] = route.endpoint
        scope.setdefault("path_params", {})
        request = Request(scope, receive, send)
        try:
            response = await handler(request)
        except Exception as exc:
            response = await self._answer(request, exc)
        await response(scope, receive, send)

    async def _answer(self, request: Request, exc: Exception) -> Response:
        """The app's handler for ``exc``; re-raised, as the generic stack would, if it has none."""
        handler = None
        if isinstance(exc, HTTPException):
            handler = self.status_handlers.get(exc.status_code)
        if handler is None:
            handler = next(
                (self.class_handlers[c] for c in type(exc).__mro__ if c in self.class_handlers),
                None,
            )
        if handler is None:
            raise exc
        if inspect.iscoroutinefunction(handler):
            response = await handler(request, exc)
        else:
            response = await run_in_threadpool(handler, request, exc)
        exc.__traceback__ = None  # as Starlette does: a reused exception keeps no old frames
        return response


def _route_path(scope: Scope) -> str:
    """The path the app's routes match: without the ``root_path`` a proxy mounts it under."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _lane_handlers(app: FastAPI) -> dict[tuple[str, str], tuple[Any, Handler]]:
    """(method, full path) → (route, handler) for every FastRoute with a fixed path."""
    handlers: dict[tuple[str, str], tuple[Any, Handler]] = {}
    if getattr(app, "max_body_size", None) is not None:
        return handlers
    for route, context in _routes_as_included(app):
        if (
            not isinstance(route, FastRoute)
            or context.param_convertors
            or getattr(context, "max_body_size", None) is not None
        ):
            continue
        handler = _handler_as_included(route, context)
        for method in context.methods:
            key = (method, context.path)
            if key in handlers:
                raise ValueError(f"two fast routes serve {method} {context.path}")
            handlers[key] = (route, handler)
    return handlers


def _routes_as_included(app: FastAPI) -> Iterator[tuple[Any, Any]]:
    """(route, the route as its inclusion sees it) for each route of the app. FastAPI (since
    0.137) keeps included routers as a tree of inclusion contexts; before, each inclusion was a
    copy of the route with the full path."""
    for entry in app.router.routes:
        contexts = getattr(entry, "effective_route_contexts", None)
        if contexts is None:
            yield entry, entry
            continue
        for context in contexts():
            yield context.original_route, context


def _handler_as_included(route: FastRoute, context: Any) -> Handler:
    context_var = getattr(fastapi_routing, "_effective_route_context_var", None)
    if context_var is None or context is route:
        return route.get_route_handler()
    token = context_var.set(context)
    try:
        return route.get_route_handler()
    finally:
        context_var.reset(token)
