"""A Django app behind Teleport, in one file: the middleware verifies every request
(`request.teleport`), permissions from a policy.

Run behind Teleport (app `uri: http://127.0.0.1:8000`):
    TELEPORT_PROXY_URL=https://teleport.example.com TELEPORT_CLUSTER=teleport.example.com \
    python examples/django_app.py runserver 127.0.0.1:8000
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import teleport_jwt as tj
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from teleport_jwt.django import permission_required

sys.path.insert(0, str(Path(__file__).parent))
from web_common import REPORTS, verifier_from_env


def configure(verifier: tj.Verifier | str) -> None:
    """Django settings for this module (a Verifier, or the dotted path of one)."""
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["teleport_jwt.django.TeleportMiddleware"],
        TELEPORT_JWT_VERIFIER=verifier,  # e.g. "myproject.auth.verifier"
        SECRET_KEY="not-used-no-sessions",
    )


def whoami(request: HttpRequest) -> HttpResponse:
    caller = request.teleport
    return JsonResponse({"user": caller.username, "roles": caller.identity.roles})


def read_report(request: HttpRequest, name: str) -> HttpResponse:
    caller = request.teleport
    if not caller.allows(f"report:{name}:read"):
        return JsonResponse({"error": f"{caller.username} may not read {name}"}, status=403)
    return JsonResponse({"name": name, "text": REPORTS.get(name, "no such report")})


@permission_required("report:delete")  # 403 insufficient_scope without it
def delete_report(request: HttpRequest, name: str) -> HttpResponse:
    return JsonResponse({"deleted": name})


def report(request: HttpRequest, name: str) -> Any:
    return (
        delete_report(request, name) if request.method == "DELETE" else read_report(request, name)
    )


urlpatterns = [path("whoami", whoami), path("reports/<str:name>", report)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    configure(verifier_from_env())
    execute_from_command_line(sys.argv)
