"""Install the index template and the versioned index behind the alias, idempotently."""

from __future__ import annotations

from typing import Any

from schemas.index import index_template, template_name, versioned_index


def setup_index(client: Any, alias: str) -> str:
    """Make sure `alias` points at an index built from the current template; return that index."""
    client.indices.put_index_template(name=template_name(alias), **index_template(alias))
    if client.indices.exists_alias(name=alias):
        return str(next(iter(client.indices.get_alias(name=alias))))
    index = versioned_index(alias)
    if not client.indices.exists(index=index):
        client.indices.create(index=index, aliases={alias: {"is_write_index": True}})
    else:
        client.indices.put_alias(index=index, name=alias, is_write_index=True)
    return index
