"""The download code, against the real files served over HTTP on 127.0.0.1 (no internet)."""

import functools
import hashlib
import threading
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from planner.datasets import check_data
from planner.errors import DownloadError
from planner.settings import REPO_ROOT, load_settings
from planner.sources.fetch import fetch_files, load_manifest

MANIFEST = REPO_ROOT / "data" / "sources.toml"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_manifest_checksums_match_the_shared_files(data_dir):
    files = load_manifest(MANIFEST)
    assert len(files) == 18
    for item in files:
        digest = hashlib.sha256((data_dir / item.path).read_bytes()).hexdigest()
        assert digest == item.sha256, item.path
        assert item.url.startswith("https://") and item.attribution and item.licence


def test_fetch_from_a_mirror_then_every_loader_reads_the_download(data_dir, serve, tmp_path):
    base = serve(data_dir)
    dest = tmp_path / "cache"
    seen = []
    results = fetch_files(
        load_manifest(MANIFEST), dest, mirror=base, progress=lambda i, n, f: seen.append(i)
    )
    assert [r.status for r in results] == ["downloaded"] * 18
    assert seen == list(range(1, 19))
    assert sum(r.bytes for r in results) == sum((data_dir / r.path).stat().st_size for r in results)
    assert not list(dest.rglob("*.part"))
    settings = load_settings({"PLANNER_DATA_DIR": str(dest)})
    statuses = check_data(settings)
    assert [s.problems for s in statuses] == [[]] * len(statuses)
    # a second run downloads nothing
    again = fetch_files(load_manifest(MANIFEST), dest, mirror=base)
    assert {r.status for r in again} == {"present"}


def test_parquet_source_is_converted_to_csv(data_dir, serve, tmp_path):
    """Stored copies of 'converted' files are Parquet upstream; the planner keeps CSV."""
    item = next(f for f in load_manifest(MANIFEST) if f.convert == "parquet-to-csv")
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    original = pd.read_csv(data_dir / item.path)
    original.to_parquet(upstream / "recorded-crime.parquet")
    base = serve(upstream)
    dest = tmp_path / "dest"
    fetch_files([replace(item, url=f"{base}/recorded-crime.parquet")], dest)
    pd.testing.assert_frame_equal(pd.read_csv(dest / item.path), original)


def test_checksum_mismatch_leaves_nothing_behind(data_dir, serve, tmp_path):
    item = next(f for f in load_manifest(MANIFEST) if f.path.endswith("2025.csv"))
    tampered = tmp_path / "srv" / item.path
    tampered.parent.mkdir(parents=True)
    tampered.write_bytes((data_dir / item.path).read_bytes()[:-10])
    base = serve(tmp_path / "srv")
    dest = tmp_path / "dest"
    with pytest.raises(DownloadError, match=r"checksum mismatch.*not saved"):
        fetch_files([item], dest, mirror=base)
    assert not (dest / item.path).exists()
    assert not list(dest.rglob("*.part"))


def test_missing_file_on_the_server_lists_every_failure(serve, tmp_path):
    base = serve(tmp_path)  # an empty folder
    files = load_manifest(MANIFEST)[:2]
    with pytest.raises(DownloadError) as err:
        fetch_files(files, tmp_path / "dest", mirror=base)
    text = str(err.value)
    assert "2 of 2 file(s) could not be downloaded" in text
    assert "HTTP 404" in text


def test_unreachable_server_is_a_clear_error(tmp_path):
    files = load_manifest(MANIFEST)[:1]
    with pytest.raises(DownloadError, match=r"download failed .*PLANNER_FETCH_MIRROR"):
        fetch_files(files, tmp_path, mirror="http://127.0.0.1:9")
