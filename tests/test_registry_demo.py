import datetime as dt

import pytest

from planner.registry.demo import load_demo
from planner.sources.boundaries import load_area_boundaries


@pytest.fixture(scope="module")
def areas(data_dir, area_set):
    return load_area_boundaries(data_dir, area_set)


def test_demo_registry_contents(registry, areas, area_set, validation_ctx):
    today = dt.date(2026, 11, 29)
    result = load_demo(registry, areas, today=today)
    assert 140 <= result.services_created <= 160
    tables = registry.tables()
    services = tables.services
    assert len(services) == result.services_created
    assert services["is_demo"].all()
    assert set(registry.organisations()["is_demo"]) == {True}
    # every need, every service type, every area is represented
    needs = set(tables.terms[tables.terms["kind"] == "need"]["value"])
    assert needs == set(validation_ctx.vocab.keys("needs"))
    used_types = set(services["service_type"])
    missing_types = set(validation_ctx.vocab.keys("service_types")) - used_types
    assert missing_types <= {"information_signposting"}, missing_types
    assert set(tables.areas["area_code"]) == set(area_set.codes)
    # built-in findings: confidential refuges, contracts ending soon, no capacity, stale
    assert tables.sites["confidential"].sum() == 8
    assert tables.sites.loc[tables.sites["confidential"], "latitude"].isna().all()
    ends = tables.contracts["end_date"].map(dt.date.fromisoformat)
    soon = (ends > today) & (ends <= today + dt.timedelta(days=183))
    assert soon.sum() >= 5
    assert services["capacity_per_year"].isna().sum() >= 10
    stale = services["updated_at"].map(lambda t: t.date() if hasattr(t, "date") else t)
    assert (stale < today - dt.timedelta(days=365)).sum() == 10
    # road harm: local casework in a few boroughs, elsewhere only the national service
    road = tables.terms[(tables.terms["kind"] == "need") & (tables.terms["value"] == "road_harm")]
    local = services[services["scope"] == "local"]["service_id"]
    road_local = road["service_id"][road["service_id"].isin(local)]
    road_areas = set(tables.areas[tables.areas["service_id"].isin(road_local)]["area_code"])
    assert 6 <= len(road_areas) <= 16
    national = services[services["scope"] == "national"]
    assert len(national) == 3 and national["name"].str.contains("national").all()
    assert (tables.areas["service_id"].isin(national["service_id"])).sum() == 3 * 33
    # domestic abuse in Bexley: only London-wide services (court support, Deaf advocacy)
    da = tables.terms[
        (tables.terms["kind"] == "need") & (tables.terms["value"] == "domestic_abuse")
    ]
    in_bexley = tables.areas[
        (tables.areas["area_code"] == "E09000004")
        & tables.areas["service_id"].isin(da["service_id"])
    ]
    covering = services.set_index("service_id").loc[in_bexley["service_id"]]
    assert covering["all_areas"].all() and len(covering) == 3
    assert sorted(covering["scope"]) == ["area_set", "area_set", "national"]
