"""The coverage engine on the real London data and the demonstration registry."""

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from planner.coverage.access import project_sites, two_stage_fca, within_pairs
from planner.coverage.text import FLAG_KINDS

AS_OF = dt.date(2026, 11, 29)


def test_every_flag_kind_occurs(london):
    _, _, _, analysis = london
    counts = analysis.result.flag_counts()
    assert (counts > 0).all(), counts.to_dict()
    assert list(counts.index) == list(FLAG_KINDS)


def test_city_of_london_is_not_assessed_for_police_needs(london):
    _, _, _, analysis = london
    cov = analysis.result.coverage
    city = cov[cov["area_code"] == "E09000001"].set_index(["need", "tier"])
    # tiers built on police-recorded crime are not assessed; tiers built on residents or women
    # aged 16+ (IDVA, refuge places, centres) are, police data or not
    for key in [
        ("domestic_abuse", "community"),
        ("sexual_violence", "community"),
        ("sexual_violence", "isva"),
        ("homicide", "bereaved_families"),
        ("hate_crime", "advocacy"),
    ]:
        assert city.loc[key, "rag"] == "not assessed" and pd.isna(city.loc[key, "estimated"])
    for key in [
        ("domestic_abuse", "high_risk"),
        ("domestic_abuse", "safe_accommodation"),
        ("sexual_violence", "sarc"),
    ]:
        assert city.loc[key, "status"] == "assessed" and city.loc[key, "estimated"] > 0
    flags = analysis.result.flags
    city_flags = flags[flags["area_code"] == "E09000001"]
    assessed = {k for k in city.index if city.loc[k, "status"] == "assessed"}
    # journey and access flags ("" tier) read the need's assessed tiers together
    assessed |= {(need, "") for need, _ in assessed}
    assert set(zip(city_flags["need"], city_flags["tier"], strict=True)) <= assessed


def test_numbers_trace_back_to_the_inputs(london):
    _, _, _, analysis = london
    result = analysis.result
    cov = result.coverage.set_index(["area_code", "need", "tier"])
    croydon = cov.loc[("E09000008", "domestic_abuse", "community")]
    shares = result.shares[
        (result.shares["area_code"] == "E09000008")
        & (result.shares["need"] == "domestic_abuse")
        & (result.shares["tier"] == "community")
    ]
    assert croydon["capacity"] == pytest.approx(shares["capacity_share"].sum())
    demand = analysis.demand.set_index(["area_code", "need"])
    assert croydon["estimated"] == demand.loc[("E09000008", "domestic_abuse"), "estimated"]
    assert croydon["ratio"] == pytest.approx(croydon["capacity"] / croydon["estimated"])
    under = result.flags[
        (result.flags["flag"] == "under_provision")
        & (result.flags["area_code"] == "E09000008")
        & (result.flags["need"] == "domestic_abuse")
        & (result.flags["tier"] == "community")
    ].iloc[0]
    assert f"{croydon['ratio']:.0%} coverage" in under["sentence"]
    assert under["sentence"].startswith("Croydon, domestic abuse, Community support: ")
    # the duplicated homicide casework written into the demonstration registry is found
    dup = result.flags[result.flags["flag"] == "duplication"]
    assert {"E09000022", "E09000028", "E09000023"} <= set(dup["area_code"])


def test_our_2sfca_equals_pysal_access(london):
    """Same inputs (London LSOAs, the demo's domestic abuse sites), results equal to 1e-9."""
    access = pytest.importorskip("access")
    _, _, small, analysis = london
    sites = project_sites(analysis.tables.sites)
    shares = analysis.result.shares
    supply = (
        shares[shares["need"] == "domestic_abuse"].groupby("service_id")["capacity_share"].sum()
    )
    sites = sites.merge(
        analysis.tables.sites[["id", "service_id"]], left_on="site_id", right_on="id"
    )
    sites = sites[sites["service_id"].isin(supply.index)].reset_index(drop=True)
    sites["supply"] = sites["service_id"].map(supply) / sites["service_id"].map(
        sites["service_id"].value_counts()
    )
    origins = small[["x", "y"]].to_numpy()
    points = sites[["x", "y"]].to_numpy()
    radius = 5000.0
    ours = two_stage_fca(
        small["population"].to_numpy(float),
        origins,
        sites["supply"].to_numpy(float),
        points,
        radius,
    )
    # PySAL needs every origin-destination pair as a row
    dx = origins[:, 0, None] - points[None, :, 0]
    dy = origins[:, 1, None] - points[None, :, 1]
    cost = pd.DataFrame(
        {
            "origin": np.repeat(small["lsoa_code"].to_numpy(), len(points)),
            "dest": np.tile(sites["site_id"].to_numpy(), len(origins)),
            "cost": np.hypot(dx, dy).ravel(),
        }
    )
    demand_df = pd.DataFrame({"geoid": small["lsoa_code"], "demand": small["population"]})
    supply_df = pd.DataFrame(
        {"supply": sites["supply"].to_numpy()}, index=pd.Index(sites["site_id"], name="geoid")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = access.fca.two_stage_fca(demand_df, supply_df, cost, max_cost=radius)
    theirs = theirs.reindex(small["lsoa_code"]).fillna(0.0).to_numpy()
    assert len(ours) == len(theirs) == 4994
    assert np.count_nonzero(ours) > 1000
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_within_pairs_dense_and_tree_agree():
    rng = np.random.default_rng(7)
    origins = rng.uniform(0, 50_000, size=(3000, 2))
    sites = rng.uniform(0, 50_000, size=(2000, 2))
    from planner.coverage import access as access_module

    dense = within_pairs(origins, sites, 4000.0)
    limit = access_module.DENSE_LIMIT
    access_module.DENSE_LIMIT = 0
    try:
        tree = within_pairs(origins, sites, 4000.0)
    finally:
        access_module.DENSE_LIMIT = limit
    a = sorted(zip(dense[0].tolist(), dense[1].tolist(), strict=True))
    b = sorted(zip(tree[0].tolist(), tree[1].tolist(), strict=True))
    assert a == b and len(a) > 10_000


def test_access_is_the_same_by_distance_matrix_and_by_k_d_trees(london):
    """The national-scale path (k-d trees per area) gives London's result exactly."""
    from planner.coverage import access as access_module
    from planner.coverage.engine import analyse

    data, _, small, analysis = london
    points = project_sites(analysis.tables.sites)
    limit = access_module.DENSE_LIMIT
    access_module.DENSE_LIMIT = 0
    try:
        tree = analyse(
            analysis.demand,
            analysis.tables,
            data.assumptions,
            as_of=AS_OF,
            small_areas=small,
            site_points=points,
        )
    finally:
        access_module.DENSE_LIMIT = limit
    a = analysis.result.access_small_areas
    b = tree.access_small_areas
    np.testing.assert_allclose(a["nearest_site_m"], b["nearest_site_m"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(a["two_sfca"], b["two_sfca"], rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(analysis.result.flags, tree.flags)
