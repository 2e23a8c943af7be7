"""`newswire ui`: check the bind address against the access settings, then serve the app."""

from __future__ import annotations

from typing import Any

from newsroom.access import Access, check_bind


def ui_client(settings: Any) -> Any:
    """A client for page requests: short timeouts, one retry (a page should fail fast and say
    so, not hang while the bulk indexer's patient retry policy plays out)."""
    from elasticsearch import Elasticsearch

    return Elasticsearch(
        **settings.es.client_kwargs(),
        request_timeout=15,
        max_retries=1,
        retry_on_timeout=False,
    )


def access_from(settings: Any) -> Access:
    return Access(
        token=settings.ui_token.reveal() if settings.ui_token else None,
        username=settings.ui_username,
        password=settings.ui_password.reveal() if settings.ui_password else None,
    )


def serve(settings: Any, host: str, port: int, allow_unauthenticated: bool) -> None:
    import uvicorn

    from deploy.web_assets import ensure_web_assets
    from newsroom.app import UiOptions, create_app

    access = access_from(settings)
    if access.password and not access.username:
        raise ValueError("NEWSWIRE_UI_PASSWORD is set but NEWSWIRE_UI_USERNAME is not")
    check_bind(host, access, allow_unauthenticated)
    vendor = ensure_web_assets()
    app = create_app(ui_client(settings), UiOptions(index=settings.index, access=access), vendor)
    print(f"newswire ui: http://{host}:{port}/ over the alias '{settings.index}'", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
