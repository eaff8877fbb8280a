"""Model instances made from what a process already holds (a cached snapshot, a shared copy)
without `Model.__init__`, whose signals and per-field defaults cost more than the rest of a
Bearer request's authentication. Both are as if loaded from the database: a field not given is
deferred (read from the database if used), never a made-up default."""

from django.db import models
from django.db.models.base import ModelState


def loaded(model: type[models.Model], **values) -> models.Model:
    """`model` with these field values (a related instance by its field's name, as for __init__)."""
    instance = model.__new__(model)
    state = instance._state = ModelState()
    state.adding, state.db = False, "default"
    fields = instance.__dict__
    for name, value in values.items():
        if isinstance(value, models.Model):
            state.fields_cache[name] = value
            fields[model._meta.get_field(name).attname] = value.pk
        else:
            fields[model._meta.get_field(name).attname] = value
    return instance


def copy_of(instance: models.Model) -> models.Model:
    """A shallow copy for one request, so that changing it changes nothing others see. Related
    instances are not copied but left to be read again (copy.copy pickles it, at ten times the cost)."""
    mine = type(instance).__new__(type(instance))
    mine.__dict__ = instance.__dict__.copy()
    mine._state = ModelState()
    mine._state.adding, mine._state.db = instance._state.adding, instance._state.db
    return mine
