"""Offscreen frames from one shared EGL context per process.

Gymnasium's MuJoCo renderer opens a new GL context for every environment (~0.2 s each, and
noisy to free at interpreter exit). The engine instead makes one ``mujoco.GLContext`` current
per process and gives each environment its own ``MjrContext`` and scene, from which every
stored camera is drawn in turn. Shadows and multisampling are switched off in
:func:`~badbench.generate.sim._mujoco.make_env`, table reflections here (~1.4x faster; frames
look the same apart from the faint mirror image in the table top).

Besides colour frames, :meth:`FrameRenderer.segment` draws a segmentation frame (MuJoCo's
``mjRND_SEGMENT`` with ``mjRND_IDCOLOR``): the body that each pixel shows, so that what a camera
sees of an object counts occlusion (:mod:`._visibility`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from badbench.generate.sim._cameras import ViewCamera, aim, check_cameras, place_cameras

_GL: Any = None


def _gl_context() -> Any:
    """This process's GL context, made current on first use.

    The backend follows ``MUJOCO_GL`` (default ``egl``) whatever was imported before, so a
    caller that imported ``mujoco`` first (which picks GLFW without the variable) still renders
    headless.
    """
    global _GL
    if _GL is None:
        backend = os.environ.get("MUJOCO_GL", "egl").lower()
        if backend == "osmesa":
            from mujoco.osmesa import GLContext
        elif backend == "glfw":
            from mujoco.glfw import GLContext
        else:
            from mujoco.egl import GLContext
        _GL = GLContext(64, 64)
        _GL.make_current()
    return _GL


class FrameRenderer:
    """Renders one model's stored cameras at ``width`` x ``height`` into uint8 RGB arrays.

    The cameras are placed for an episode by :meth:`place` (from its first observation; see
    :mod:`._cameras`); until then they are placed for the model's current state.

    Args:
        model: the MuJoCo model.
        width, height: frame size in pixels.
        cameras: the camera names (see :func:`~._cameras.check_cameras`).
        data: the model's data, to place the cameras at first.

    Raises:
        ValidationError: an unknown camera name.
    """

    def __init__(
        self, model: Any, data: Any, width: int, height: int, cameras: Sequence[str]
    ) -> None:
        import mujoco

        self.names = check_cameras(cameras)
        self._mujoco = mujoco
        self.model, self.width, self.height = model, width, height
        self.views: list[ViewCamera] = []
        self.ctx = None
        mujoco.mj_forward(model, data)
        self.place(data, np.zeros(39))
        _gl_context()
        vis = model.vis.global_
        vis.offwidth, vis.offheight = width, height  # a small framebuffer renders faster
        self.ctx = mujoco.MjrContext(model, mujoco.mjtFontScale.mjFONTSCALE_150)
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self.ctx)
        self.scene = mujoco.MjvScene(model, maxgeom=1000)
        # the table's mirror reflection draws the scene twice (the skybox stays: without it
        # the background turns black, unlike every other Meta-World image)
        self.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        self.opt = mujoco.MjvOption()
        self.rect = mujoco.MjrRect(0, 0, width, height)
        self.buf = np.empty((height, width, 3), np.uint8)

    def place(self, data: Any, obs0: np.ndarray) -> list[ViewCamera]:
        """Place the cameras for an episode that starts at observation ``obs0``."""
        self.views = place_cameras(self.model, data, self.names, obs0, self.width / self.height)
        return self.views

    def _draw(self, data: Any, view: ViewCamera) -> np.ndarray:
        mj = self._mujoco
        mj.mjr_setBuffer(mj.mjtFramebuffer.mjFB_OFFSCREEN, self.ctx)
        mj.mjv_updateScene(
            self.model, data, self.opt, None, view.cam, mj.mjtCatBit.mjCAT_ALL, self.scene
        )
        mj.mjr_render(self.rect, self.scene, self.ctx)
        mj.mjr_readPixels(self.buf, None, self.rect, self.ctx)
        # rows come bottom-up: read them top first, or turn an upside-down camera by 180 degrees
        return self.buf[:, ::-1] if view.upside_down else self.buf[::-1]

    def render(self, data: Any) -> dict[str, np.ndarray]:
        """The current frame of every camera, upright, ``name -> (H, W, 3)`` uint8 (new arrays)."""
        aim(self.views, self.model, data)
        return {v.name: self._draw(data, v).copy() for v in self.views}

    def segment(self, data: Any, view: ViewCamera) -> np.ndarray:
        """The body id each pixel of ``view`` shows now, (H, W) int32, upright; -1 for none
        (the sky). Only geoms count (sites such as Meta-World's goal marker are not objects)."""
        mj = self._mujoco
        flags = self.scene.flags
        aim([view], self.model, data)
        flags[mj.mjtRndFlag.mjRND_SEGMENT] = flags[mj.mjtRndFlag.mjRND_IDCOLOR] = 1
        try:
            img = self._draw(data, view).astype(np.int32)
        finally:
            flags[mj.mjtRndFlag.mjRND_SEGMENT] = flags[mj.mjtRndFlag.mjRND_IDCOLOR] = 0
        seg = img[..., 0] | (img[..., 1] << 8) | (img[..., 2] << 16)  # scene geom index + 1
        lut = np.full(self.scene.ngeom + 1, -1, np.int32)
        geom = int(mj.mjtObj.mjOBJ_GEOM)
        for i in range(self.scene.ngeom):
            g = self.scene.geoms[i]
            if g.objtype == geom and g.segid >= 0:
                lut[g.segid + 1] = self.model.geom_bodyid[g.objid]
        return lut[np.clip(seg, 0, self.scene.ngeom)]

    def close(self) -> None:
        if self.ctx is not None:
            self.ctx.free()
            self.ctx = None
