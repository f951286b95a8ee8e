"""Every setting, declared once: name, default, type and help.

A value comes from the command line, then the environment (CHANCERY_<NAME>), then
the default here. The README lists each one; a test checks that it does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: Callable[[str], Any] = str
    flag_allowed: bool = True     # False for secrets: a flag would show them in `ps`

    @property
    def env(self) -> str:
        return "CHANCERY_" + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError(f"must be positive, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:          # also refuses nan
        raise ValueError(f"must be 0 or more, got {text}")
    return value


def _niceness(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 19:
        raise ValueError(f"must be from 0 to 19, got {text}")
    return value


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"must be on or off, got {text}")
    return value in ("on", "true", "1", "yes")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(f"must be positive, got {text}")
    return value


SETTINGS: dict[str, Setting] = {s.name: s for s in [
    Setting("index_dir", "index", "Folder of the Whoosh index."),
    Setting("lock_timeout", 10.0, "Seconds a writer waits for the index lock before failing.", _positive_float),
    Setting("jobs", os.cpu_count() or 1, "Processes that read and extract articles for 'chancery index'.",
            _positive_int),
    Setting("events", True, "Group articles into events and find meetings while indexing (off: indexing is "
            "faster, and the articles written meanwhile have no event and no meetings).", _switch),
    Setting("writers", os.cpu_count() or 1, "Processes that write index segments for each large batch of "
            "'chancery index' (1: the main process writes alone).", _positive_int),
    Setting("batch_size", 50_000, "Articles parsed before each atomic commit of 'chancery index': each commit "
            "adds one segment per writer, so larger batches leave fewer segments to search.", _positive_int),
    Setting("api_token", None, "Bearer token that POST and DELETE must present; unset means writes are refused.",
            flag_allowed=False),
    Setting("cors_origins", "", "Comma-separated origins allowed to call the API from a browser; empty means none."),
    Setting("max_request_bytes", 10 * 1024 * 1024, "Largest request body accepted, in bytes.", _positive_int),
    Setting("cache_mb", 200, "Memory each server process may use for cached term arrays, in MB.", _positive_int),
    Setting("host", "127.0.0.1", "Address 'chancery serve' listens on."),
    Setting("port", 8000, "Port 'chancery serve' listens on.", _positive_int),
    Setting("workers", 2, "Worker processes of 'chancery serve'.", _positive_int),
    Setting("write_nice", 10, "Niceness added to the thread that runs writes in each worker of 'chancery serve', "
            "so searches keep the CPU while articles are indexed (0: same priority).", _niceness),
    Setting("threads", 1, "Request threads in each worker process of 'chancery serve'; each holds its own "
            "index searcher (more add memory, not search throughput).", _positive_int),
    Setting("warm_seconds", 1.0, "How often each worker of 'chancery serve' looks for a new index version and "
            "prepares it (arrays, recently used terms) before a request needs it; 0: never, requests prepare it.",
            _non_negative_float),
    Setting("read_timeout", 10.0, "Seconds a client may take to send a request head, or stay silent while "
            "sending a body or reading the answer, before 'chancery serve' drops it.", _positive_float),
]}


class SettingError(ValueError):
    """A setting's value cannot be read."""


def resolve(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Return every setting: command-line overrides, then the environment, then defaults."""
    overrides = overrides or {}
    environ = os.environ if environ is None else environ
    values = {}
    for setting in SETTINGS.values():
        if overrides.get(setting.name) is not None:
            raw, origin = overrides[setting.name], setting.flag
        elif setting.env in environ:
            raw, origin = environ[setting.env], setting.env
        else:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.type(raw) if isinstance(raw, str) else raw
        except ValueError as error:
            raise SettingError(f"{origin}: {error}") from None
    return values
