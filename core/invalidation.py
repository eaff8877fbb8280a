"""Cache invalidation that follows the write itself, whatever made it.

A model whose rows feed copies (`core.generations`) says so once with `feeds()`: the fields the
copies read, and the generations its rows name. Saves and deletes (signals, cascades included),
many-to-many changes and the bulk paths that send no signal (`update`, `bulk_create`,
`bulk_update`, through the model's manager built from `QuerySet` below) then change them. A write
to no field read (a last-use mark) changes nothing; one to an `owners` field (a row moved to
another user, a serial number corrected) changes the generations its rows named before too."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

from core.generations import Copies


@dataclass(frozen=True)
class Feed:
    copies: Copies
    names: Callable[[models.QuerySet], Iterable]  # rows → what `copies.generation` names
    fields: frozenset[str] | None  # the fields the copies read; None: all of them
    owners: frozenset[str] = frozenset()  # the fields `names` depends on (by name and attname)

    def reads(self, fields) -> bool:
        return fields is None or self.fields is None or not self.fields.isdisjoint(fields)

    def moves(self, fields) -> bool:
        return bool(self.owners) and (fields is None or not self.owners.isdisjoint(fields))

    def generations(self, rows: models.QuerySet) -> set[str]:
        return {self.copies.generation(name) for name in self.names(rows)}

    def change(self, rows: models.QuerySet, before=frozenset()) -> None:
        self.copies.change(sorted(self.generations(rows) | before))


_feeds: dict[type[models.Model], list[Feed]] = {}
_through: set[type[models.Model]] = set()


def feeds(model, copies: Copies, names, *, fields: Iterable[str] | None = None, owners=()) -> None:
    """Rows of `model` feed `copies`: `names(rows)` gives the generations to change for them,
    from the row's `owners` fields (none: from its primary key, which never changes)."""
    fields, owners = (_with_attnames(model, given) for given in (fields or (), owners))
    _feeds.setdefault(model, []).append(Feed(copies, names, fields or None, owners))
    uid = f"{model._meta.label}-{copies.name}"
    if owners:
        pre_save.connect(_saving, sender=model, dispatch_uid=f"saving-{uid}", weak=False)
    post_save.connect(_saved, sender=model, dispatch_uid=f"saved-{uid}", weak=False)
    pre_delete.connect(_deleting, sender=model, dispatch_uid=f"deleting-{uid}", weak=False)


def _with_attnames(model, fields) -> frozenset[str]:
    """Fields by name and by column (`user` and `user_id`): a write may spell either."""
    return frozenset(name for field in fields for name in (field, model._meta.get_field(field).attname))


def feeds_through(field, copies: Copies, names) -> None:
    """A many-to-many `field` (e.g. `ApiKey.workgroups`) feeds `copies` through its owner's rows."""
    owner = field.field.model
    _through.add(field.through)

    def changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
        if action not in ("post_add", "post_remove", "pre_clear"):
            return
        if not reverse:
            rows = owner._base_manager.filter(pk=instance.pk)
        elif pk_set is not None:
            rows = owner._base_manager.filter(pk__in=pk_set)
        else:  # the other side cleared: every owner linked to it
            rows = owner._base_manager.filter(**{field.field.name: instance})
        Feed(copies, names, None).change(rows)

    m2m_changed.connect(
        changed, sender=field.through, dispatch_uid=f"m2m-{field.through._meta.label}", weak=False
    )


def fed_models() -> set[type[models.Model]]:
    """Every model whose writes change generations (the test of this module's users lists them)."""
    return set(_feeds) | _through


def _before(model, pks: list, fields) -> dict:
    """The generations rows name now, for each feed a write to `fields` may move them out of."""
    feeds = enumerate(_feeds.get(model, ()))
    rows = model._base_manager.filter(pk__in=pks)
    return {i: feed.generations(rows) for i, feed in feeds if feed.reads(fields) and feed.moves(fields)}


def _changed(model, pks: list, fields=None, before=None) -> None:
    for i, feed in enumerate(_feeds.get(model, ())):
        if feed.reads(fields):
            feed.change(model._base_manager.filter(pk__in=pks), (before or {}).get(i, frozenset()))


_BEFORE = "_generations_before_save"  # on the instance, from pre_save to post_save


def _saving(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    if not raw and not instance._state.adding:
        instance.__dict__[_BEFORE] = _before(sender, [instance.pk], update_fields)


def _saved(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    if not raw:  # not while loading fixtures
        _changed(sender, [instance.pk], update_fields, instance.__dict__.pop(_BEFORE, None))


def _deleting(sender, instance, **kwargs) -> None:
    _changed(sender, [instance.pk])  # before the delete, while the rows still name their generations


class QuerySet(models.QuerySet):
    """Django's, with the bulk writes changing the generations their rows feed."""

    def update(self, **kwargs):
        if not any(feed.reads(kwargs) for feed in _feeds.get(self.model, ())):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        before = _before(self.model, pks, kwargs)
        count = super(QuerySet, self.filter(pk__in=pks)).update(**kwargs)  # no row beyond those
        _changed(self.model, pks, kwargs, before)
        return count

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        _changed(self.model, [obj.pk for obj in created if obj.pk is not None])
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        before = _before(self.model, [obj.pk for obj in objs], fields)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        _changed(self.model, [obj.pk for obj in objs], fields, before)
        return count
