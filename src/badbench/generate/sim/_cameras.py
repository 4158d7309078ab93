"""The stored cameras of a sim episode: which, where, and how a world point lands in their image.

An episode stores every camera of its ``cameras`` setting (default :data:`DEFAULT_CAMERAS`):

* ``scene``: a camera placed per episode to frame the task's workspace. It is a MuJoCo free
  camera looking from the front right of the robot (azimuth :data:`SCENE_AZIMUTH`, elevation
  :data:`SCENE_ELEVATION`) at the middle of the hand's start, the object(s) and the goal, as far
  away as it must be for all of them to fall within the central :data:`SCENE_FILL` of the frame
  (never nearer than :data:`SCENE_MIN_DISTANCE`). It is placed from the episode's first state
  only, so every mode of one seed family (one context) is filmed from the same place, and any
  Meta-World v3 task is framed without a per-task table.
* ``wrist``: a close view that moves with the hand, from behind and above the fingers and
  looking ahead of them (Meta-World's hand keeps its orientation, so this is what a camera
  mounted on the wrist sees). Meta-World's own ``behindGripper`` sits 0.5 m behind the hand and
  is blocked by the arm when the hand starts near the robot (``hammer``).
* any camera of the Meta-World model, by name: ``corner``, ``corner2``, ``corner3``,
  ``corner4``, ``topview``, ``behindGripper``, ``gripperPOV``.

Frames keep the world upright: MuJoCo's image (x right, y up) is read top row first, and a
camera whose image-up axis points below the horizon (Meta-World's ``corner`` cameras are
mounted upside down) is turned by 180 degrees. :func:`project` follows the same rule, so a
projected point lands on the pixel that shows it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from badbench.errors import ValidationError

SCENE, WRIST = "scene", "wrist"
PLACED_CAMERAS = (SCENE, WRIST)
"""The cameras badbench places itself."""

DEFAULT_CAMERAS = (SCENE, WRIST)
"""The cameras stored by default: an external view and a wrist view, as real datasets have."""

METAWORLD_CAMERAS = (
    "corner",
    "corner2",
    "corner3",
    "corner4",
    "topview",
    "behindGripper",
    "gripperPOV",
)
"""The cameras of every Meta-World v3 model (fixed, or attached to the hand)."""

SCENE_AZIMUTH, SCENE_ELEVATION = 135.0, -35.0
"""Where ``scene`` looks from (degrees; MuJoCo's free-camera convention: azimuth 90 looks along
+y, away from the robot; 135 looks from the front right of the table toward the back left)."""

SCENE_FILL = 0.7
"""The points ``scene`` frames lie within this central fraction of the image's width and
height (the rest is margin for the objects' size and their motion)."""

SCENE_MIN_DISTANCE = 0.5
"""The nearest ``scene`` comes to the middle of its points (m)."""

WRIST_OFFSET = (0.0, 0.05, -0.12)
"""Where ``wrist`` looks, from the hand body's position (m, world axes): just ahead of and below
the finger tips."""

WRIST_AZIMUTH, WRIST_ELEVATION, WRIST_DISTANCE = 90.0, -45.0, 0.32
"""``wrist`` looks along +y (away from the robot) from behind and above the hand."""


@dataclass
class ViewCamera:
    """One stored camera of an environment, as MuJoCo renders it.

    Attributes:
        name: the camera's name (the frames are stored as ``observation.images.<name>``).
        cam: the ``mujoco.MjvCamera`` to render with.
        upside_down: the image is turned 180 degrees to keep the world upright.
        follow: the camera looks at the hand (``wrist``): :func:`aim` moves it each state.
    """

    name: str
    cam: Any
    upside_down: bool = False
    follow: bool = False

    def describe(self) -> dict[str, Any]:
        """A JSON record of where the camera is (stored with the episode)."""
        import mujoco

        if self.cam.type == mujoco.mjtCamera.mjCAMERA_FIXED:
            return {"model_camera": self.name}
        out: dict[str, Any] = {
            "azimuth": float(self.cam.azimuth),
            "elevation": float(self.cam.elevation),
            "distance": round(float(self.cam.distance), 4),
        }
        if self.follow:
            out["follows"] = "hand"
            out["offset"] = list(WRIST_OFFSET)
        else:
            out["lookat"] = [round(float(v), 4) for v in self.cam.lookat]
        return out


def check_cameras(cameras: Sequence[str] | str) -> tuple[str, ...]:
    """The camera names of a ``cameras`` option (a list, or a comma-separated string).

    Raises:
        ValidationError: no camera, an unknown name, or one named twice.
    """
    names = [c.strip() for c in cameras.split(",")] if isinstance(cameras, str) else cameras
    names = [c for c in names if c]
    known = (*PLACED_CAMERAS, *METAWORLD_CAMERAS)
    if not names:
        raise ValidationError(
            f"no camera given; choose among {', '.join(known)}", field="cameras"
        )
    for name in names:
        if name not in known:
            raise ValidationError(
                f"unknown camera '{name}'; choose among {', '.join(known)}", field="cameras"
            )
    if len(set(names)) < len(names):
        raise ValidationError(f"a camera is named twice in {', '.join(names)}", field="cameras")
    return tuple(names)


def scene_points(obs: np.ndarray) -> np.ndarray:
    """What ``scene`` frames, from a Meta-World observation: the hand, the object(s), the goal."""
    obs = np.asarray(obs, np.float64)
    points = [obs[0:3], obs[4:7], obs[-3:]]
    if np.any(obs[11:14] != 0):  # a second object (padded with zeros when there is none)
        points.append(obs[11:14])
    return np.asarray(points)


def _axes(azimuth: float, elevation: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(forward, right, up)`` unit vectors of a MuJoCo free camera."""
    az, el = math.radians(azimuth), math.radians(elevation)
    forward = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    right = np.array([math.sin(az), -math.cos(az), 0.0])
    return forward, right, np.cross(right, forward)


def fit_distance(
    points: np.ndarray,
    lookat: np.ndarray,
    *,
    azimuth: float,
    elevation: float,
    fovy: float,
    aspect: float,
    fill: float = SCENE_FILL,
) -> float:
    """The nearest distance from ``lookat`` at which a free camera sees every point within the
    central ``fill`` of its image (``fovy`` in degrees, ``aspect`` = width / height)."""
    forward, right, up = _axes(azimuth, elevation)
    tan_y = math.tan(math.radians(fovy) / 2) * fill
    tan_x = tan_y * aspect
    rel = np.asarray(points, np.float64) - lookat
    along = rel @ forward  # depth = distance + along
    need = np.maximum(np.abs(rel @ right) / tan_x, np.abs(rel @ up) / tan_y) - along
    return float(need.max(initial=0.0))


def place_cameras(
    model: Any, data: Any, names: Sequence[str], obs0: np.ndarray, aspect: float
) -> list[ViewCamera]:
    """The cameras ``names`` for an episode that starts at observation ``obs0``."""
    import mujoco

    views = []
    for name in names:
        cam = mujoco.MjvCamera()
        if name in PLACED_CAMERAS:
            cam.type = mujoco.mjtCamera.mjCAMERA_FREE
            if name == SCENE:
                points = scene_points(obs0)
                lookat = (points.min(0) + points.max(0)) / 2
                cam.lookat[:] = lookat
                cam.azimuth, cam.elevation = SCENE_AZIMUTH, SCENE_ELEVATION
                cam.distance = max(
                    SCENE_MIN_DISTANCE,
                    fit_distance(
                        points,
                        lookat,
                        azimuth=SCENE_AZIMUTH,
                        elevation=SCENE_ELEVATION,
                        fovy=float(model.vis.global_.fovy),
                        aspect=aspect,
                    ),
                )
                views.append(ViewCamera(name, cam))
            else:
                cam.azimuth, cam.elevation = WRIST_AZIMUTH, WRIST_ELEVATION
                cam.distance = WRIST_DISTANCE
                view = ViewCamera(name, cam, follow=True)
                aim([view], model, data)
                views.append(view)
            continue
        ids = [model.camera(i).name for i in range(model.ncam)]
        if name not in ids:
            raise ValidationError(
                f"unknown camera '{name}'; this model has: {', '.join(ids)}", field="cameras"
            )
        cam.type = mujoco.mjtCamera.mjCAMERA_FIXED
        cam.fixedcamid = model.camera(name).id
        up = data.cam_xmat[cam.fixedcamid].reshape(3, 3)[:, 1]
        views.append(ViewCamera(name, cam, upside_down=bool(up[2] < 0)))
    return views


def aim(views: Sequence[ViewCamera], model: Any, data: Any) -> None:
    """Point the cameras that follow the hand at it, for the current state of ``data``."""
    for view in views:
        if view.follow:
            view.cam.lookat[:] = data.body("hand").xpos + np.asarray(WRIST_OFFSET)


def project(
    model: Any, data: Any, view: ViewCamera, points: np.ndarray, width: int, height: int
) -> np.ndarray:
    """Pixel coordinates ``(column, row)`` of world ``points`` (N, 3) in ``view``'s upright frame.

    Uses MuJoCo's own camera for the current state (``mjv_updateCamera``: position, orientation
    and frustum, the two eyes averaged as ``mjr_render`` does). Row 0 is the top of the frame;
    a point behind the camera gets NaN coordinates. Call :func:`aim` first for a following camera.
    """
    import mujoco

    scene = mujoco.MjvScene(model, maxgeom=0)
    mujoco.mjv_updateCamera(model, data, view.cam, scene)
    eyes = [scene.camera[0], scene.camera[1]]
    pos = np.mean([e.pos for e in eyes], axis=0)
    forward = np.mean([e.forward for e in eyes], axis=0)
    up = np.mean([e.up for e in eyes], axis=0)
    forward /= np.linalg.norm(forward)
    up /= np.linalg.norm(up)
    right = np.cross(forward, up)
    eye = eyes[0]
    near, bottom, top = float(eye.frustum_near), float(eye.frustum_bottom), float(eye.frustum_top)
    half_w = (
        0.5 * float(eye.frustum_width)
        if eye.frustum_width
        else 0.5 * width / height * (top - bottom)
    )
    left = float(eye.frustum_center) - half_w
    rel = np.atleast_2d(np.asarray(points, np.float64)) - pos
    depth = rel @ forward
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (rel @ right) * near / depth
        y = (rel @ up) * near / depth
    col = (x - left) / (2 * half_w) * width
    row = (top - y) / (top - bottom) * height
    out = np.stack([col, row], axis=1)
    out[depth <= 0] = np.nan
    if view.upside_down:
        out = np.stack([width - out[:, 0], height - out[:, 1]], axis=1)
    return out
