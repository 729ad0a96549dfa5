"""Connections shared by Query fields and per-kind fields (whatDelivers = Objective.deliveredBy)."""

from bisect import bisect_right

import numpy as np

from valuegraph.api.errors import UserError
from valuegraph.api.graphql.core import (
    Delivery,
    DeliveryConnection,
    DeliveryEdge,
    EntityConnection,
    EntityEdge,
    Info,
    Kind,
    PageInfo,
    check_first,
    decode_cursor,
    encode_cursor,
    entity_object,
    kind_names,
    require,
)
from valuegraph.graph import traversal
from valuegraph.graph.index import ABSENT, HEALTHS, STATUSES


async def delivery_connection(info: Info, target: str, kinds: list[Kind] | None,
                              include_cancelled: bool | None, first: int | None, after: str | None) -> DeliveryConnection:
    require(info, target)
    first = check_first(info, first)
    include_cancelled = bool(include_cancelled)
    index = info.context.graph.index
    ranked, order = _ordered_deliveries(index, target, kind_names(kinds) or traversal.DELIVERY_KINDS,
                                        include_cancelled)
    start = 0
    if after is not None:
        parts = decode_cursor(after)
        try:
            distance, after_id = int(parts[0]), parts[1]
        except (ValueError, IndexError) as exc:
            raise UserError(f"'{after}' is not a cursor of this connection") from exc
        start = _position_after(index, order, distance, after_id)
    numbers = ranked.numbers[start:start + first].tolist()
    page = list(zip(ranked.distances[start:start + first].tolist(), (index.ids[i] for i in numbers), strict=True))
    records = await info.context.entities.load_many([i for _, i in page])
    edges = [
        DeliveryEdge(cursor=encode_cursor(d, i),
                     node=Delivery(item=entity_object(r), target=target, include_cancelled=include_cancelled))
        for (d, i), r in zip(page, records, strict=True) if r is not None
    ]
    return DeliveryConnection(
        total_count=len(order),
        edges=edges,
        page_info=PageInfo(has_next_page=start + first < len(order), end_cursor=edges[-1].cursor if edges else None),
    )


def _ordered_deliveries(index, target: str, kinds: tuple[str, ...], include_cancelled: bool):
    """What delivers the target, and each answer's place in the connection's order. Kept until the next
    write: a client paging through a connection, or a dashboard asking again, finds it made."""
    key = (index.updates, target, kinds, include_cancelled)  # an update makes every older entry unreachable
    found = index.recall("deliveries", key)
    if found is None:
        ranked = traversal.what_delivers(index, target, kinds, include_cancelled)
        # answers are ordered by (distance, id): one sortable number each, so a page is found by
        # bisection and only its own ids are looked up
        order = ranked.distances.astype(np.int64) * index.size + index.id_rank()[ranked.numbers]
        found = (ranked, order)
        index.remember("deliveries", key, found, capacity=1_000)
    return found


def _position_after(index, order: np.ndarray, distance: int, after_id: str) -> int:
    """Where the answers after (distance, id) start, for an id that may no longer be in the answer."""
    number = index.number.get(after_id)
    if number is not None:
        return int(np.searchsorted(order, distance * index.size + index.id_rank()[number], side="right"))
    # an id the graph no longer holds: compare by id among the answers at that distance
    lo = int(np.searchsorted(order, distance * index.size, side="left"))
    hi = int(np.searchsorted(order, (distance + 1) * index.size, side="left"))
    ranks = order[lo:hi] - distance * index.size
    by_rank = np.argsort(index.id_rank())
    return lo + bisect_right([index.ids[int(by_rank[r])] for r in ranks.tolist()], after_id)


async def entity_connection(info: Info, kind: Kind | None, search: str | None, first: int | None,
                            after: str | None, status: list | None, health: list | None) -> EntityConnection:
    first = check_first(info, first)
    graph = info.context.graph
    index = graph.index
    n = index.size
    mask = index.kind[:n] != ABSENT
    if kind is not None:
        mask &= index.kind[:n] == index.kind_code[kind.value]
    if status:
        mask &= np.isin(index.status[:n], [STATUSES.index(s.value) for s in status])
    if health:
        mask &= np.isin(index.health[:n], [HEALTHS.index(h.value) for h in health])
    numbers = np.flatnonzero(mask)
    if search:
        found = graph.store.search(search)
        numbers = np.array([i for i in numbers.tolist() if index.ids[i] in found], dtype=np.int64)
    numbers = numbers[np.argsort(index.id_rank()[numbers], kind="stable")]
    ids = [index.ids[i] for i in numbers.tolist()]
    start = bisect_right(ids, decode_cursor(after)[0]) if after is not None else 0
    page = ids[start:start + first]
    records = await info.context.entities.load_many(page)
    edges = [EntityEdge(cursor=encode_cursor(i), node=entity_object(r))
             for i, r in zip(page, records, strict=True) if r is not None]
    return EntityConnection(
        total_count=len(ids),
        edges=edges,
        page_info=PageInfo(has_next_page=start + first < len(ids), end_cursor=edges[-1].cursor if edges else None),
    )
