"""The platform's table moved from accounts to core without losing a row: a database migrated
as main stood at aae8d60 (before core existed) keeps its owed cache changes."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import OwedCacheChange

AT_AAE8D60 = [  # every app's last migration at that commit
    ("accounts", "0004_owed_cache_change"),
    ("apikeys", "0001_initial"),
    ("licenses", "0004_narrow_files"),
    ("core", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_owed_changes_written_before_the_move_are_still_owed_after_it():
    old = _migrate(AT_AAE8D60)
    old.get_model("accounts", "OwedCacheChange").objects.create(key="auth:gen:v2:u1", timeout=None)
    old.get_model("accounts", "OwedCacheChange").objects.create(key="lic:gen:v1:x", timeout=600)

    _migrate(_latest())

    assert sorted(OwedCacheChange.objects.values_list("key", "timeout")) == [
        ("auth:gen:v2:u1", None),
        ("lic:gen:v1:x", 600),
    ]
    assert OwedCacheChange._meta.db_table == "core_owedcachechange"
    assert "accounts_owedcachechange" not in connection.introspection.table_names()
