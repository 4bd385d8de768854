"""Nightly refresh: downloads from a real HTTP server on 127.0.0.1, the run lock, and the run history."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import write_config, write_tiny_sources

from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.core.errors import Locked, SourceUnavailable
from pipeline.core.lock import run_lock
from pipeline.core.refresh import fetch_sources


class Files:
    """What the test server serves: path -> body, and how it misbehaves."""

    def __init__(self):
        self.bodies: dict[str, bytes] = {}
        self.mode: dict[str, str] = {}  # ok | 500 | slow | truncated
        self.full_responses: dict[str, int] = {}
        self.requests: dict[str, int] = {}


def _handler(files: Files):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def do_GET(self):
            path = self.path
            files.requests[path] = files.requests.get(path, 0) + 1
            mode = files.mode.get(path, "ok")
            if path not in files.bodies:
                self.send_error(404)
                return
            if mode == "500":
                self.send_error(500, "broken")
                return
            if mode == "slow":
                time.sleep(1.5)
            body = files.bodies[path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body) + (100 if mode == "truncated" else 0)))
            self.end_headers()
            self.wfile.write(body)
            files.full_responses[path] = files.full_responses.get(path, 0) + 1
            if mode == "truncated":
                self.close_connection = True

    return Handler


class QuietServer(ThreadingHTTPServer):
    """A loopback server that does not print the broken pipes of clients that timed out on purpose."""

    def handle_error(self, request, client_address):
        pass


@pytest.fixture
def server():
    files = Files()
    httpd = QuietServer(("127.0.0.1", 0), _handler(files))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield files, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _config(tmp_path, url: str, **extra):
    sources = write_tiny_sources(tmp_path)
    sources["stations"] = {"url": url, "wkt": "wkt", "crs": "EPSG:25832", **extra}
    refresh = {"timeout_s": 0.5, "retries": 1, "backoff_s": 0.01}
    return load_config(write_config(tmp_path, {"sources": sources, "refresh": refresh}))


STATIONS_V1 = b"station_id,name,wkt\ns1,Taastrup,POINT (700100 6170100)\n"
STATIONS_V2 = b"station_id,name,wkt\ns1,Taastrup,POINT (700100 6170100)\ns2,Hedehusene,POINT (700900 6170100)\n"


def test_changed_source_is_downloaded_once_and_unchanged_one_skipped_by_etag(tmp_path, server):
    files, base = server
    files.bodies["/stations.csv"] = STATIONS_V1
    config = _config(tmp_path, f"{base}/stations.csv")
    target = tmp_path / "data" / "raw" / "stations.csv"
    assert [f.status for f in fetch_sources(config)] == ["downloaded"]
    assert target.read_bytes() == STATIONS_V1
    mtime = target.stat().st_mtime_ns
    assert [f.status for f in fetch_sources(config)] == ["unchanged"]
    assert files.full_responses["/stations.csv"] == 1  # the second request was answered 304
    assert target.stat().st_mtime_ns == mtime
    files.bodies["/stations.csv"] = STATIONS_V2
    assert [f.status for f in fetch_sources(config)] == ["downloaded"]
    assert target.read_bytes() == STATIONS_V2 and files.full_responses["/stations.csv"] == 2


@pytest.mark.parametrize("mode", ["500", "slow", "truncated"])
def test_failed_download_keeps_last_good_copy_and_warns(tmp_path, server, mode):
    files, base = server
    files.bodies["/stations.csv"] = STATIONS_V1
    config = _config(tmp_path, f"{base}/stations.csv")
    fetch_sources(config)
    files.bodies["/stations.csv"] = STATIONS_V2
    files.mode["/stations.csv"] = mode
    results = fetch_sources(config)
    assert results[0].status == "failed"
    assert (tmp_path / "data" / "raw" / "stations.csv").read_bytes() == STATIONS_V1
    assert files.requests["/stations.csv"] == 1 + 2  # the first download, then one try and one retry
    assert not list((tmp_path / "data" / "raw").glob(".stations.csv.*.tmp"))


def test_truncated_download_is_rejected_without_an_earlier_copy(tmp_path, server):
    files, base = server
    files.bodies["/stations.csv"] = STATIONS_V1
    files.mode["/stations.csv"] = "truncated"
    config = _config(tmp_path, f"{base}/stations.csv")
    with pytest.raises(SourceUnavailable, match="no earlier copy"):
        fetch_sources(config)
    assert not (tmp_path / "data" / "raw" / "stations.csv").exists()


def test_required_source_failing_stops_refresh_with_status_3_and_records_it(tmp_path, server, capsys):
    files, base = server
    files.bodies["/stations.csv"] = STATIONS_V1
    config = _config(tmp_path, f"{base}/stations.csv", required=True)
    fetch_sources(config)
    files.mode["/stations.csv"] = "500"
    status = main(["--quiet", "refresh", "--config", str(config.path)])
    assert status == 3
    assert "HTTP 500" in capsys.readouterr().err
    history = [json.loads(line) for line in (tmp_path / "logs" / "runs.jsonl").read_text().splitlines()]
    assert history[-1]["status"] == "source unavailable" and "HTTP 500" in history[-1]["error"]
    assert json.loads((tmp_path / "data" / "processed" / "run.json").read_text())["status"] == "source unavailable"


def test_checksum_mismatch_is_rejected(tmp_path, server):
    files, base = server
    files.bodies["/stations.csv"] = STATIONS_V1
    config = _config(tmp_path, f"{base}/stations.csv", sha256="0" * 64)
    with pytest.raises(SourceUnavailable, match="checksum mismatch"):
        fetch_sources(config)


def test_second_run_while_locked_exits_75_naming_the_holder(tmp_path, capsys):
    config_path = write_config(tmp_path, {"sources": write_tiny_sources(tmp_path)})
    config = load_config(config_path)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from pipeline.core.lock import run_lock\n"
         "with run_lock(Path(sys.argv[1]), 'earlier'):\n    print('held', flush=True); time.sleep(30)",
         str(config.resolve(config["paths"]["lock"]))],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        status = main(["--quiet", "run", "--stage", "ingest", "--config", str(config_path)])
        err = capsys.readouterr().err
        assert status == 75
        assert f"pid {holder.pid}" in err and "started earlier" in err
    finally:
        holder.kill()
        holder.wait()
    assert not (tmp_path / "data" / "processed" / "ingest.json").exists()


def test_lock_left_by_a_dead_process_is_taken_over_with_a_warning(tmp_path, caplog):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = tmp_path / ".lock"
    lock.write_text(json.dumps({"pid": dead.pid, "started": "yesterday", "host": os.uname().nodename}))
    with caplog.at_level("WARNING"), run_lock(lock, "now"):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert f"left by pid {dead.pid}" in caplog.text
    assert not lock.exists()


def test_live_lock_raises_locked(tmp_path):
    lock = tmp_path / ".lock"
    with run_lock(lock, "first"), pytest.raises(Locked, match=f"pid {os.getpid()}"), run_lock(lock, "second"):
        pass


def test_every_run_leaves_a_log_and_a_history_line(tmp_path):
    config_path = write_config(tmp_path, {"sources": write_tiny_sources(tmp_path), "refresh": {"keep_logs": 2}})
    for _ in range(3):
        assert main(["--quiet", "run", "--stage", "ingest", "--config", str(config_path)]) == 0
    history = [json.loads(line) for line in (tmp_path / "logs" / "runs.jsonl").read_text().splitlines()]
    assert [h["status"] for h in history] == ["ok", "ok", "ok"]
    assert history[0]["stages_run"] == ["ingest"] and history[1]["stages_skipped"] == ["ingest"]
    logs = sorted((tmp_path / "logs").glob("*.log"), key=lambda p: p.stat().st_mtime_ns)
    assert len(logs) == 2  # rotation keeps the newest refresh.keep_logs
    assert history[-1]["run_id"] in logs[-1].name
    assert "Run " + history[-1]["run_id"] + " ended: ok" in logs[-1].read_text()


def test_config_hash_is_the_same_for_runs_of_the_same_config(tmp_path):
    config_path = write_config(tmp_path, {"sources": write_tiny_sources(tmp_path)})
    hashes = []
    for _ in range(2):
        assert main(["--quiet", "run", "--stage", "ingest", "--config", str(config_path)]) == 0
        run = json.loads((tmp_path / "data" / "processed" / "run.json").read_text())
        hashes.append((run["run_id"], run["config_hash"]))
    assert hashes[0][0] != hashes[1][0] and hashes[0][1] == hashes[1][1]
