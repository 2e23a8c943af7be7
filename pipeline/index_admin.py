"""Install the index template and the versioned index behind the alias, idempotently."""

from __future__ import annotations

from typing import Any

from schemas.index import index_template, template_name, versioned_index


class MappingConflict(RuntimeError):
    """The live index cannot take the current mapping in place; a migration is needed."""


def setup_index(client: Any, alias: str) -> str:
    """Make sure `alias` points at an index with the current mapping; return that index.

    New fields are added to the live index in place (Elasticsearch allows additive mapping
    changes), so an upgrade that only adds fields needs no reindex. A change the live index
    cannot take (a field's type changed) raises MappingConflict: run `newswire index migrate`.
    """
    from elasticsearch import BadRequestError

    template = index_template(alias)
    client.indices.put_index_template(name=template_name(alias), **template)
    if client.indices.exists_alias(name=alias):
        index = str(next(iter(client.indices.get_alias(name=alias))))
        try:
            client.indices.put_mapping(index=index, **template["template"]["mappings"])
        except BadRequestError as exc:
            raise MappingConflict(
                f"{index} cannot take the current mapping in place ({exc.message}); "
                "run `newswire index migrate` to build the next version"
            ) from exc
        return index
    index = versioned_index(alias)
    if not client.indices.exists(index=index):
        client.indices.create(index=index, aliases={alias: {"is_write_index": True}})
    else:
        client.indices.put_alias(index=index, name=alias, is_write_index=True)
    return index
