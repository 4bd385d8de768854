"""Fetch http(s) sources into data/raw: timeouts, retries with back-off, a size limit, ETag and checksum.

A source with a `url` is downloaded to its `path` (default data/raw/<file name of the URL>) through a
temporary file and a rename, never in place. An unchanged source (HTTP 304 for the stored ETag or
Last-Modified, or the same sha256) is not replaced, so the stages that read it are not re-run. A failed
download keeps the last good copy and is a warning; with `required: true` on the source, or with no
earlier copy, it stops the run with exit status 3.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.atomic import atomic_path, write_json
from pipeline.core.config import Config
from pipeline.core.errors import SourceUnavailable
from pipeline.core.log import log, warn
from pipeline.core.paths import source_path
from pipeline.core.stages import RASTER_LAYERS, TABLE_LAYERS, VECTOR_LAYERS

STATE_FILE = ".sources.json"
CHUNK_BYTES = 1 << 16


class DownloadFailed(Exception):
    """One download attempt failed; `retry` says whether trying again may help."""

    def __init__(self, message: str, retry: bool = True):
        super().__init__(message)
        self.retry = retry


@dataclass
class Fetched:
    """What happened to one source."""

    layer: str
    url: str
    status: str  # downloaded, unchanged, failed
    detail: str = ""


def _stream(response, handle, limit_bytes: int) -> tuple[str, int]:
    """Copy the response body to the file within the size limit; its sha256 and size."""
    digest, size = hashlib.sha256(), 0
    while chunk := response.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit_bytes:
            raise DownloadFailed("the download exceeds refresh.max_download_bytes", retry=False)
        digest.update(chunk)
        handle.write(chunk)
    return digest.hexdigest(), size


def _conditional_headers(target: Path, state: dict) -> dict:
    """If-None-Match / If-Modified-Since from the last download, when its copy is still there."""
    headers = {"User-Agent": "social-balance-pipeline"}
    if target.exists() and state.get("etag"):
        headers["If-None-Match"] = state["etag"]
    if target.exists() and state.get("last_modified"):
        headers["If-Modified-Since"] = state["last_modified"]
    return headers


def _download_once(url: str, target: Path, state: dict, settings: dict, limits: dict) -> str:
    """One attempt: 'unchanged' or 'downloaded' (target replaced); raises DownloadFailed."""
    request = urllib.request.Request(url, headers=_conditional_headers(target, state))
    try:
        with urllib.request.urlopen(request, timeout=limits["timeout_s"]) as response:
            expected = response.headers.get("Content-Length")
            if expected is not None and int(expected) > limits["max_download_bytes"]:
                raise DownloadFailed(f"{int(expected):,} bytes exceeds refresh.max_download_bytes", retry=False)
            with atomic_path(target) as tmp:
                with open(tmp, "wb") as handle:
                    sha256, size = _stream(response, handle, limits["max_download_bytes"])
                if expected is not None and size != int(expected):
                    raise DownloadFailed(f"truncated: received {size:,} of {int(expected):,} bytes")
                wanted = settings.get("sha256")
                if wanted and sha256 != wanted.lower():
                    raise DownloadFailed(f"checksum mismatch: sha256 {sha256}, config expects {wanted}", retry=False)
                if target.exists() and sha256 == state.get("sha256"):
                    raise _Unchanged()
                state.update(etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"),
                             sha256=sha256, size=size)
            return "downloaded"
    except _Unchanged:
        return "unchanged"
    except urllib.error.HTTPError as err:
        if err.code == 304:
            return "unchanged"
        raise DownloadFailed(f"HTTP {err.code} {err.reason}", retry=err.code >= 500 or err.code == 429) from err
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as err:
        raise DownloadFailed(f"{type(err).__name__}: {getattr(err, 'reason', err)}") from err


class _Unchanged(Exception):
    """The body equals the copy we have: keep the file (and its timestamps) as it is."""


def fetch_source(layer: str, settings: dict, target: Path, state: dict, limits: dict) -> Fetched:
    """Download one source with retries and back-off; a final failure is reported, not raised."""
    url = settings["url"]
    attempts = int(limits["retries"]) + 1
    for attempt in range(1, attempts + 1):
        try:
            status = _download_once(url, target, state, settings, limits)
            return Fetched(layer, url, status)
        except DownloadFailed as err:
            if not err.retry or attempt == attempts:
                return Fetched(layer, url, "failed", str(err))
            time.sleep(limits["backoff_s"] * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def fetch_sources(config: Config) -> list[Fetched]:
    """Fetch every configured URL source; raise SourceUnavailable when a required one failed."""
    state_path = config.raw_dir / STATE_FILE
    try:
        states = json.loads(state_path.read_text())
    except (OSError, ValueError):
        states = {}
    results, unavailable = [], []
    for layer in (*VECTOR_LAYERS, *TABLE_LAYERS, *RASTER_LAYERS):
        settings = config["sources"].get(layer) or {}
        if not settings.get("url"):
            continue
        target = source_path(config, settings)
        state = states.setdefault(settings["url"], {})
        result = fetch_source(layer, settings, target, state, config["refresh"])
        results.append(result)
        if result.status == "failed":
            if settings.get("required") is True or not target.exists():
                unavailable.append(f"{layer} from {result.url}: {result.detail}"
                                   + ("" if target.exists() else " (no earlier copy)"))
            else:
                warn(f"source {layer}: download from {result.url} failed ({result.detail}); kept the last good copy "
                     f"{target}")
        else:
            log.info("Source %s: %s", layer, result.status)
    write_json(states, state_path)
    if unavailable:
        raise SourceUnavailable("sources unavailable; the last good copies were kept:\n  - " + "\n  - ".join(unavailable))
    return results
