"""Offscreen frames from one shared EGL context per process.

Gymnasium's MuJoCo renderer opens a new GL context for every environment (~0.2 s each, and
noisy to free at interpreter exit). The engine instead makes one ``mujoco.GLContext`` current
per process and gives each environment its own ``MjrContext``, scene and fixed camera. Shadows
and multisampling are switched off in :func:`~badbench.generate.sim._mujoco.make_env`, table
reflections here (~1.4x faster; frames look the same at 128x128 apart from the faint mirror
image in the table top).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from badbench.errors import ValidationError

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
    """Renders one model's fixed camera at ``width`` x ``height`` into uint8 RGB arrays.

    Args:
        model: the MuJoCo model.
        width, height: frame size in pixels.
        camera: a fixed camera of the model (Meta-World: ``corner``, ``corner2``, ``corner3``,
            ``corner4``, ``topview``).
    """

    def __init__(self, model: Any, width: int, height: int, camera: str) -> None:
        import mujoco

        names = [model.camera(i).name for i in range(model.ncam)]
        if camera not in names:
            raise ValidationError(
                f"unknown camera '{camera}'; this model has: {', '.join(names)}", field="camera"
            )
        self._mujoco = mujoco
        _gl_context()
        vis = model.vis.global_
        vis.offwidth, vis.offheight = width, height  # a small framebuffer renders faster
        self.ctx = mujoco.MjrContext(model, mujoco.mjtFontScale.mjFONTSCALE_150)
        self.scene = mujoco.MjvScene(model, maxgeom=1000)
        # the table's mirror reflection draws the scene twice (the skybox stays: without it
        # the background turns black, unlike every other Meta-World image)
        self.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        self.opt = mujoco.MjvOption()
        self.cam = mujoco.MjvCamera()
        self.cam.type = mujoco.mjtCamera.mjCAMERA_FIXED
        self.cam.fixedcamid = model.camera(camera).id
        self.rect = mujoco.MjrRect(0, 0, width, height)
        self.buf = np.empty((height, width, 3), np.uint8)
        self.model = model

    def render(self, data: Any) -> np.ndarray:
        """The current frame, upright, (H, W, 3) uint8 (a new array)."""
        mj = self._mujoco
        mj.mjr_setBuffer(mj.mjtFramebuffer.mjFB_OFFSCREEN, self.ctx)
        mj.mjv_updateScene(
            self.model, data, self.opt, None, self.cam, mj.mjtCatBit.mjCAT_ALL, self.scene
        )
        mj.mjr_render(self.rect, self.scene, self.ctx)
        mj.mjr_readPixels(self.buf, None, self.rect, self.ctx)
        return self.buf.copy()  # rows come bottom-up; Meta-World cameras are upside down

    def close(self) -> None:
        if self.ctx is not None:
            self.ctx.free()
            self.ctx = None
