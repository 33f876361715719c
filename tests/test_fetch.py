"""Tests for astrokeras.datasets.fetch against a local HTTP server on 127.0.0.1 (no internet)."""

import contextlib
import functools
import hashlib
import http.server
import os
import threading

import pytest

from astrokeras.datasets import (
    REMOTE_DATASETS,
    ChecksumError,
    DatasetNotFoundError,
    FetchError,
    fetch_dataset,
    fetch_file,
    load_bts,
    load_eros,
)
from astrokeras.datasets.fetch import RemoteDataset, RemoteFile, file_sha256


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests_seen: list = []

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        type(self).requests_seen.append(self.path)
        super().do_GET()


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` on 127.0.0.1 (ephemeral port) in a thread; yields the base URL."""
    handler = type("Handler", (_QuietHandler,), {"requests_seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests_seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "www"
    (root / "sub").mkdir(parents=True)
    payload = os.urandom(3 * 1024 * 1024 + 17)  # several 1 MiB chunks
    (root / "sub" / "file.bin").write_bytes(payload)
    with serve(root) as (url, seen):
        yield url, hashlib.sha256(payload).hexdigest(), payload, seen


def _leftovers(folder):
    return [name for name in os.listdir(folder) if name.startswith(".part-")] if os.path.isdir(folder) else []


def test_download_ok_and_skips_verified_file(served, tmp_path):
    url, digest, payload, seen = served
    dest = tmp_path / "out" / "deep" / "file.bin"
    assert fetch_file(f"{url}/sub/file.bin", dest, digest) == str(dest)
    assert dest.read_bytes() == payload
    assert _leftovers(dest.parent) == []
    n = len(seen)
    fetch_file(f"{url}/sub/file.bin", dest, digest)  # already there and verified: no request
    assert len(seen) == n
    fetch_file(f"{url}/sub/file.bin", dest, digest[:16], overwrite=True)  # prefix digests accepted
    assert len(seen) == n + 1


def test_checksum_mismatch_raises_and_leaves_nothing(served, tmp_path):
    url, digest, _, _ = served
    dest = tmp_path / "out" / "file.bin"
    wrong = ("0" if digest[0] != "0" else "1") + digest[1:]
    with pytest.raises(ChecksumError) as info:
        fetch_file(f"{url}/sub/file.bin", dest, wrong)
    assert wrong in str(info.value) and digest in str(info.value)
    assert not dest.exists()
    assert _leftovers(dest.parent) == []


def test_mismatch_does_not_clobber_an_existing_file(served, tmp_path):
    url, digest, _, _ = served
    dest = tmp_path / "file.bin"
    dest.write_bytes(b"old content")
    with pytest.raises(ChecksumError):
        fetch_file(f"{url}/sub/file.bin", dest, "ab" * 32)
    assert dest.read_bytes() == b"old content"
    assert _leftovers(tmp_path) == []


def test_http_404_and_refused_connection_raise_cleanly(served, tmp_path):
    url, digest, _, _ = served
    dest = tmp_path / "out" / "missing.bin"
    with pytest.raises(FetchError, match="404") as info:
        fetch_file(f"{url}/sub/missing.bin", dest, digest)
    assert not isinstance(info.value, ChecksumError)
    assert not dest.exists() and _leftovers(dest.parent) == []
    with pytest.raises(FetchError, match="could not download"):
        fetch_file("http://127.0.0.1:1/x", dest, digest, timeout_s=5)


def test_bad_digest_spec_is_refused_before_downloading(tmp_path):
    with pytest.raises(ValueError, match="sha256"):
        fetch_file("http://127.0.0.1:1/x", tmp_path / "x", "not-hex")


def test_fetch_dataset_is_atomic_and_resumable(tmp_path, monkeypatch):
    www = tmp_path / "www"
    (www / "data").mkdir(parents=True)
    (www / "data" / "a.txt").write_text("alpha")
    (www / "b.txt").write_text("beta")
    files = [RemoteFile("data/a.txt", "unused", file_sha256(www / "data" / "a.txt")),
             RemoteFile("b.txt", "unused", file_sha256(www / "b.txt"))]
    monkeypatch.setitem(REMOTE_DATASETS, "toy", RemoteDataset("toy", "toy data", "CC0", lambda: files))
    home = tmp_path / "home"
    (www / "b.txt").rename(www / "b.hidden")
    with serve(www) as (url, _):
        with pytest.raises(FetchError, match="404"):
            fetch_dataset("toy", home, base_url=url, verbose=False)
        assert not (home / "toy").exists()  # never a half dataset under the final name
        assert (home / "toy.partial" / "data" / "a.txt").read_text() == "alpha"
        (www / "b.hidden").rename(www / "b.txt")
        assert fetch_dataset("toy", home, base_url=url, verbose=False) == str(home / "toy")
    assert (home / "toy" / "b.txt").read_text() == "beta"
    assert not (home / "toy.partial").exists()
    with pytest.raises(KeyError, match="eros1_ramp"):
        fetch_dataset("nope", home)


def test_registered_checksums_match_the_shared_copies():
    """The digests in the registry are those of the local copies of the public files."""
    home = os.environ.get("ASTROKERAS_DATA")
    for name, spec in REMOTE_DATASETS.items():
        folder = os.path.join(home or "", name)
        if not home or not os.path.isdir(folder):
            continue
        files = spec.files()
        assert files and all(f.url.startswith("https://raw.githubusercontent.com/") for f in files)
        for remote in files[:50]:
            assert file_sha256(os.path.join(folder, remote.path)).startswith(remote.sha256), remote.path
    bts = REMOTE_DATASETS["ztf_bts_antares"].files()
    assert len(bts) == 2710 + 2


@pytest.mark.needs_data("eros1_ramp")
def test_load_eros_downloads_into_an_empty_home(data_home, tmp_path):
    home = tmp_path / "home"
    with pytest.raises(DatasetNotFoundError, match="download_if_missing"):
        load_eros("test", home)
    with serve(os.path.join(data_home, "eros1_ramp")) as (url, seen):
        lcs = load_eros("test", home, download_if_missing=True, base_url=url)
    assert len(lcs) == 729
    assert sorted(seen) == sorted(f"/{p}" for p in ("data/train.csv", "data/test.csv",
                                                    "data/train_varlength_features.csv.gz",
                                                    "data/test_varlength_features.csv.gz"))
    for name in os.listdir(home / "eros1_ramp" / "data"):
        assert file_sha256(home / "eros1_ramp" / "data" / name) == file_sha256(
            os.path.join(data_home, "eros1_ramp", "data", name))
    assert len(load_eros("train", home)) == 2912  # now local: no server needed


@pytest.mark.slow
@pytest.mark.needs_data("ztf_bts_antares")
def test_load_bts_downloads_into_an_empty_home(data_home, tmp_path, monkeypatch):
    monkeypatch.setenv("ASTROKERAS_CACHE", str(tmp_path / "cache"))
    home = tmp_path / "home"
    with serve(os.path.join(data_home, "ztf_bts_antares")) as (url, seen):
        lcs = load_bts(home, download_if_missing=True, base_url=url, use_astroprost=False)
    assert len(seen) == 2712
    assert len(lcs) == 2710


@pytest.mark.needs_data("eros1_ramp")
def test_fetch_command_downloads_and_availability_then_reports_it(data_home, tmp_path, capsys):
    from astrokeras.datasets import availability
    from astrokeras.datasets.fetch import main

    home = tmp_path / "home"
    before = availability(home)["eros1_ramp"]
    assert not before["available"] and before["command"] == f"python -m astrofm fetch eros1_ramp --data-home {home}"
    with serve(os.path.join(data_home, "eros1_ramp")) as (url, seen):
        assert main(["eros1", "--data-home", str(home), "--base-url", url]) == 0  # 'eros1' is an alias
    assert len(seen) == 4
    assert f"eros1_ramp is in {home / 'eros1_ramp'}" in capsys.readouterr().out
    after = availability(home)["eros1_ramp"]
    assert after["available"] and after["source"] == str(home / "eros1_ramp") and after["command"] is None
    assert main(["eros1_ramp", "--data-home", str(tmp_path / "h2"), "--base-url", "http://127.0.0.1:9"]) == 1
    assert "could not download" in capsys.readouterr().err
