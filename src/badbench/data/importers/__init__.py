"""Importers: videos plus a JSONL manifest, LeRobot v3 datasets, RoboArena-style A/B judgements."""

from __future__ import annotations

from badbench.data.importers._common import ImportReport, ProgressCallback
from badbench.data.importers._manifest import VideoEpisodeSpec, parse_video_manifest
from badbench.data.importers.lerobot import import_lerobot
from badbench.data.importers.prefs import import_preferences, parse_preferences
from badbench.data.importers.videos import import_videos, load_video_episode

__all__ = [
    "ImportReport",
    "ProgressCallback",
    "VideoEpisodeSpec",
    "import_lerobot",
    "import_preferences",
    "import_videos",
    "load_video_episode",
    "parse_preferences",
    "parse_video_manifest",
]
