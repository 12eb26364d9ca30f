"""A FastAPI app behind Teleport: the caller is a dependency, permissions from a policy.

Run behind Teleport (app `uri: http://127.0.0.1:8000`):
    TELEPORT_PROXY_URL=https://teleport.example.com TELEPORT_CLUSTER=teleport.example.com \
    python examples/fastapi_app.py
"""

# No `from __future__ import annotations`: FastAPI reads Annotated[..., Depends(teleport)] at
# run time, and `teleport` is a local of build_app.
import sys
from pathlib import Path
from typing import Annotated

import teleport_jwt as tj
from fastapi import Depends, FastAPI, HTTPException
from teleport_jwt.starlette import TeleportDependency
from teleport_jwt.web import Caller

sys.path.insert(0, str(Path(__file__).parent))
from web_common import REPORTS, verifier_from_env


def build_app(verifier: tj.Verifier) -> FastAPI:
    teleport = TeleportDependency(verifier)  # Depends(teleport): the caller, or 401/503/500
    app = FastAPI()

    @app.get("/whoami")
    async def whoami(caller: Annotated[Caller, Depends(teleport)]) -> dict[str, object]:
        return {"user": caller.username, "roles": caller.identity.roles}

    @app.get("/reports/{name}")
    async def read_report(
        name: str, caller: Annotated[Caller, Depends(teleport)]
    ) -> dict[str, str]:
        if not caller.allows(f"report:{name}:read"):
            raise HTTPException(403, f"{caller.username} may not read {name}")
        return {"name": name, "text": REPORTS.get(name, "no such report")}

    @app.delete("/reports/{name}", dependencies=[Depends(teleport.requires("report:delete"))])
    async def delete_report(name: str) -> dict[str, str]:
        return {"deleted": name}

    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(build_app(verifier_from_env()), host="127.0.0.1", port=8000)
