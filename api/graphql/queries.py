"""Connections shared by Query fields and per-kind fields (whatDelivers = Objective.deliveredBy).

The answers, their order and where a page starts are graph/questions.py's; cursors are this API's."""

from valuegraph.graph.errors import UserError
from valuegraph.api.graphql.core import (
    Delivery,
    DeliveryConnection,
    DeliveryEdge,
    EntityConnection,
    EntityEdge,
    Info,
    Kind,
    PageInfo,
    ask,
    check_first,
    decode_cursor,
    encode_cursor,
    kind_names,
)
from valuegraph.api.graphql.objects import entity_object
from valuegraph.graph.questions import DELIVERY_KINDS


async def delivery_connection(info: Info, target: str, kinds: list[Kind] | None,
                              include_cancelled: bool | None, first: int | None, after: str | None,
                              at: int | None = None) -> DeliveryConnection:
    """What delivers ``target``, at revision ``at`` (None: the present), a page at a time."""
    first = check_first(info, first)
    include_cancelled = bool(include_cancelled)
    position = None
    if after is not None:
        parts = decode_cursor(after)
        try:
            position = (int(parts[0]), parts[1])
        except (ValueError, IndexError) as exc:
            raise UserError(f"'{after}' is not a cursor of this connection") from exc
    found = await ask(info.context.view(at).questions.what_delivers, target, kind_names(kinds) or DELIVERY_KINDS,
                      include_cancelled, first=first, after=position)
    edges = [
        DeliveryEdge(cursor=encode_cursor(hit.distance, hit.entity.id),
                     node=Delivery(item=entity_object(hit.entity, at), target=target, include_cancelled=include_cancelled))
        for hit in found.hits
    ]
    return DeliveryConnection(
        total_count=found.total,
        edges=edges,
        page_info=PageInfo(has_next_page=found.has_next_page, end_cursor=edges[-1].cursor if edges else None),
    )


async def entity_connection(info: Info, kind: Kind | None, search: str | None, first: int | None,
                            after: str | None, status: list | None, health: list | None,
                            at: int | None = None) -> EntityConnection:
    first = check_first(info, first)
    after_id = decode_cursor(after)[0] if after is not None else None
    found = await ask(info.context.view(at).questions.entities, None if kind is None else kind.value,
                      [s.value for s in status or ()], [h.value for h in health or ()], search,
                      first=first, after=after_id)
    edges = [EntityEdge(cursor=encode_cursor(r.id), node=entity_object(r, at)) for r in found.records]
    return EntityConnection(
        total_count=found.total,
        edges=edges,
        page_info=PageInfo(has_next_page=found.has_next_page, end_cursor=edges[-1].cursor if edges else None),
    )
