"""Access: how far residents live from face-to-face support, and a 2SFCA score.

Small areas (LSOAs) stand for their residents at one point each. Distances are straight lines
in metres (British National Grid). Both computations only look at pairs within reach, found
with a k-d tree, so they scale to tens of thousands of small areas and sites where an
all-pairs cost table would not fit in memory.

Two-step floating catchment area (Luo and Wang, 2003), as PySAL ``access.two_stage_fca``
with no distance decay: for each site j, R_j = S_j / Σ P_i over small areas i within d0;
for each small area, A_i = Σ R_j over sites within d0 (distance ≤ d0 counts as within).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.settings import ANALYSIS_CRS, MAP_CRS

DENSE_LIMIT = 4_000_000
"""Below this many origin × site pairs, distances are computed as one dense matrix."""


def project_sites(sites: pd.DataFrame) -> pd.DataFrame:
    """site_id, x, y in EPSG:27700 for the sites that have coordinates."""
    from pyproj import Transformer

    located = sites[sites["latitude"].notna() & sites["longitude"].notna()]
    to_bng = Transformer.from_crs(MAP_CRS, ANALYSIS_CRS, always_xy=True)
    x, y = to_bng.transform(
        located["longitude"].to_numpy(float), located["latitude"].to_numpy(float)
    )
    return pd.DataFrame({"site_id": located["id"].to_numpy(), "x": x, "y": y})


def within_pairs(
    origins: np.ndarray, sites: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin index, site index, distance) for every pair no farther apart than ``radius``."""
    if len(origins) == 0 or len(sites) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=float)
    if len(origins) * len(sites) <= DENSE_LIMIT:
        distance = np.hypot(
            origins[:, 0, None] - sites[None, :, 0], origins[:, 1, None] - sites[None, :, 1]
        )
        o, s = np.nonzero(distance <= radius)
        return o, s, distance[o, s]
    from scipy.spatial import cKDTree  # only for problems too large for one matrix

    pairs = cKDTree(origins).sparse_distance_matrix(cKDTree(sites), radius, output_type="ndarray")
    # the ndarray output keeps pairs at distance 0 (the matrix outputs would drop them)
    o, s, d = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64), pairs["v"]
    return o, s, d


def two_stage_fca(
    population: np.ndarray,
    origins: np.ndarray,
    supply: np.ndarray,
    sites: np.ndarray,
    radius: float,
) -> np.ndarray:
    """The 2SFCA ratio for each origin (supply per resident within reach)."""
    if len(origins) * len(sites) <= DENSE_LIMIT and len(sites):
        d2 = (origins[:, 0, None] - sites[None, :, 0]) ** 2 + (
            origins[:, 1, None] - sites[None, :, 1]
        ) ** 2
        within = (np.sqrt(d2) <= radius).astype(float)
        reached = population @ within
        ratio = np.divide(supply, reached, out=np.zeros(len(sites)), where=reached > 0)
        return within @ ratio
    o, s, _ = within_pairs(origins, sites, radius)
    reached = np.bincount(s, weights=population[o], minlength=len(sites))
    ratio = np.divide(supply, reached, out=np.zeros(len(sites)), where=reached > 0)
    return np.bincount(o, weights=ratio[s], minlength=len(origins))


def nearest_distance(origins: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """Distance from each origin to its nearest site (inf when there are no sites)."""
    if len(sites) == 0:
        return np.full(len(origins), np.inf)
    from scipy.spatial import cKDTree

    distance, _ = cKDTree(sites).query(origins, k=1)
    return distance


def nearest_eligible(
    xy: np.ndarray,
    area_index: np.ndarray,
    n_areas: int,
    site_xy: np.ndarray,
    eligible_area: np.ndarray,
    eligible_site: np.ndarray,
) -> np.ndarray:
    """Distance from each origin to the nearest site whose service covers the origin's area.

    ``area_index``: each origin's area (0..n_areas-1); (``eligible_area``, ``eligible_site``):
    the pairs of area and site where the site's service covers the area. One small k-d tree
    per area: for problems small enough for one distance matrix, ``access_tables`` computes
    the nearest site from the matrix it already has.
    """
    if len(site_xy) == 0 or len(eligible_area) == 0:
        return np.full(len(xy), np.inf)
    nearest = np.full(len(xy), np.inf)
    order = np.argsort(area_index, kind="stable")
    bounds = np.searchsorted(area_index[order], np.arange(n_areas + 1))
    site_order = np.argsort(eligible_area, kind="stable")
    site_bounds = np.searchsorted(eligible_area[site_order], np.arange(n_areas + 1))
    for area in range(n_areas):
        origins = order[bounds[area] : bounds[area + 1]]
        chosen = eligible_site[site_order[site_bounds[area] : site_bounds[area + 1]]]
        if len(origins) and len(chosen):
            nearest[origins] = nearest_distance(xy[origins], site_xy[chosen])
    return nearest


def access_tables(
    small_areas: pd.DataFrame,
    sites: pd.DataFrame,
    cover: pd.DataFrame,
    coverage: pd.DataFrame,
    *,
    radius_m: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per small area and per (area, need): nearest eligible site and 2SFCA.

    ``small_areas``: lsoa_code, area_code, population, x, y.
    ``sites``: service_id, site_id, x, y, need, supply (the service's capacity for the need,
    divided among its face-to-face sites).
    ``cover``: service_id, need, area_code: the areas each service covers for each need.
    ``coverage``: area_code, need (the pairs to report).
    A site counts for a small area's nearest distance only when its service covers that area.
    """
    lsoa_rows, summary_rows = [], []
    xy = small_areas[["x", "y"]].to_numpy(dtype=float)
    pop = small_areas["population"].to_numpy(dtype=float)
    area_of = small_areas["area_code"].to_numpy()
    area_index, area_codes = pd.factorize(small_areas["area_code"])
    n_areas = len(area_codes)
    position = {code: i for i, code in enumerate(area_codes)}
    members = [np.flatnonzero(area_index == i) for i in range(n_areas)]
    pop_sum = np.bincount(area_index, weights=pop, minlength=n_areas)
    safe = np.where(pop_sum > 0, pop_sum, np.nan)
    for need, need_sites in sites.groupby("need", sort=True):
        need_sites = need_sites.reset_index(drop=True)
        links = (
            need_sites[["service_id"]]
            .reset_index()
            .merge(cover.loc[cover["need"] == need, ["service_id", "area_code"]], on="service_id")
        )
        links = links[links["area_code"].isin(position)]
        site_xy = need_sites[["x", "y"]].to_numpy(dtype=float)
        supply = need_sites["supply"].to_numpy(dtype=float)
        link_area = links["area_code"].map(position).to_numpy(dtype=np.int64)
        link_site = links["index"].to_numpy(dtype=np.int64)
        if len(xy) * len(site_xy) <= DENSE_LIMIT:
            # one distance matrix serves both measures
            distance = np.hypot(
                xy[:, 0, None] - site_xy[None, :, 0], xy[:, 1, None] - site_xy[None, :, 1]
            )
            within = (distance <= radius_m).astype(float)
            reached = pop @ within
            score = within @ np.divide(
                supply, reached, out=np.zeros(len(supply)), where=reached > 0
            )
            eligible = np.zeros((n_areas, len(site_xy)), dtype=bool)
            eligible[link_area, link_site] = True
            nearest = np.where(eligible[area_index], distance, np.inf).min(axis=1)
        else:
            score = two_stage_fca(pop, xy, supply, site_xy, radius_m)
            nearest = nearest_eligible(xy, area_index, n_areas, site_xy, link_area, link_site)
        lsoa_rows.append(
            pd.DataFrame(
                {
                    "lsoa_code": small_areas["lsoa_code"].to_numpy(),
                    "area_code": area_of,
                    "need": need,
                    "population": pop,
                    "nearest_site_m": nearest,
                    "two_sfca": score,
                }
            )
        )
        beyond = np.bincount(area_index, weights=pop * (nearest > radius_m), minlength=n_areas)
        weighted = np.bincount(area_index, weights=pop * score, minlength=n_areas)
        summary_rows.append(
            pd.DataFrame(
                {
                    "area_code": area_codes,
                    "need": need,
                    "population": pop_sum,
                    "share_beyond": beyond / safe,
                    "two_sfca_per_1000": 1000 * weighted / safe,
                    "median_nearest_km": [
                        np.median(nearest[m]) / 1000 if len(m) else np.nan for m in members
                    ],
                }
            )
        )
    lsoa = (
        pd.concat(lsoa_rows, ignore_index=True)
        if lsoa_rows
        else pd.DataFrame(
            columns=["lsoa_code", "area_code", "need", "population", "nearest_site_m", "two_sfca"]
        )
    )
    pairs = coverage[["area_code", "need"]].drop_duplicates()
    if lsoa.empty:
        out = pairs.assign(
            population=np.nan,
            share_beyond=np.nan,
            two_sfca_per_1000=np.nan,
            median_nearest_km=np.nan,
        )
        return out, lsoa
    out = pairs.merge(
        pd.concat(summary_rows, ignore_index=True), on=["area_code", "need"], how="left"
    )
    # needs with no face-to-face site anywhere: everyone is beyond reach
    no_sites = ~out["need"].isin(set(sites["need"]))
    if no_sites.any():
        totals = small_areas.groupby("area_code")["population"].sum()
        out.loc[no_sites, "population"] = out.loc[no_sites, "area_code"].map(totals)
        out.loc[no_sites, "share_beyond"] = 1.0
        out.loc[no_sites, "two_sfca_per_1000"] = 0.0
        out.loc[no_sites, "median_nearest_km"] = np.inf
    return out, lsoa


ACCESS_COLUMNS = [
    "area_code",
    "need",
    "population",
    "share_beyond",
    "two_sfca_per_1000",
    "median_nearest_km",
]


def service_access(
    small_areas: pd.DataFrame | None,
    site_points: pd.DataFrame | None,
    terms: pd.DataFrame,
    sites: pd.DataFrame,
    shares: pd.DataFrame,
    coverage: pd.DataFrame,
    *,
    radius_m: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Access for the registry's face-to-face sites: each site supplies its service's capacity
    for a need divided equally among the service's face-to-face sites. Without small areas or
    site points access is not assessed (empty tables)."""
    if small_areas is None or site_points is None:
        return pd.DataFrame(columns=ACCESS_COLUMNS), pd.DataFrame()
    channel = terms[terms["kind"] == "channel"]
    face = set(channel.loc[channel["value"] == "face_to_face", "service_id"])
    sites = sites[sites["service_id"].isin(face)]
    sites = sites.merge(site_points[["site_id", "x", "y"]], left_on="id", right_on="site_id")
    per_need = shares.groupby(["service_id", "need"], as_index=False)["capacity_share"].sum()
    n_sites = sites.groupby("service_id")["id"].nunique()
    rows = sites.merge(per_need, on="service_id")
    rows["supply"] = rows["capacity_share"] / rows["service_id"].map(n_sites)
    rows = rows[["service_id", "site_id", "x", "y", "need", "supply"]]
    assessed = coverage[coverage["status"] == "assessed"]
    cover = shares[["service_id", "need", "area_code"]]
    return access_tables(small_areas, rows, cover, assessed, radius_m=radius_m)
