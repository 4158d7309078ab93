"""Thin, fast access to a Meta-World v3 environment: construction, seeding, contacts, rendering.

We use Meta-World's environment classes directly (``metaworld.env_dict.ALL_V3_ENVIRONMENTS``),
without gymnasium's wrappers, so a control step costs what MuJoCo costs. Heavy imports
(``mujoco``, ``metaworld``) happen inside functions only.

Contact convention. At each control step (80 Hz) two peak normal forces (newtons, from
``mujoco.mj_contactForce``) are taken over the active contacts:

* ``contact_force``: contacts that involve the robot, *except* those between the gripper (the
  ``right_hand`` body and its descendants) and a movable object (a body outside the robot with a
  joint in its kinematic chain). Gripper-object contacts are what grasping and pushing are made
  of; what remains (hand-table strikes, arm-obstacle contacts) is what ``collision`` is about.
* ``object_force``: contacts between a loose object (a body on a free joint, or its children)
  and anything outside the robot that is not that object - an object slammed onto the table
  shows here (``excessive_force``). Articulated parts (a window, a door, a drawer) are left out:
  resting against their own frame or stop they carry constant contact forces (a door at its
  stop: ~13 kN in MuJoCo) that are no impact anyone would see.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from badbench.errors import MissingExtraError

# MuJoCo picks its GL backend when first imported: ask for headless EGL before anyone does.
os.environ.setdefault("MUJOCO_GL", "egl")

# Hand floor when an injector lets the hand go below Meta-World's clamp (z >= 0.05).
LOW_HAND_Z = -0.1


def import_sim() -> tuple[Any, Any]:
    """Import ``mujoco`` and ``metaworld`` (EGL rendering), or raise :class:`MissingExtraError`."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    try:
        import mujoco
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError("sim", "mujoco") from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import metaworld
            import metaworld.env_dict  # noqa: F401
            import metaworld.policies  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingExtraError("sim", "metaworld") from exc
    return mujoco, metaworld


@dataclass
class ContactProbe:
    """Precomputed geom sets for fast per-step contact queries.

    Attributes:
        robot: bool mask over geoms, True for geoms of the robot.
        gripper: bool mask over geoms, True for geoms of the wrist and its descendants.
        movable: bool mask over geoms, True for geoms of movable non-robot bodies.
        loose: bool mask over geoms, True for geoms of bodies on a free joint (or below one).
        left_pad: geom id of the left finger pad.
        right_pad: geom id of the right finger pad.
    """

    robot: np.ndarray
    gripper: np.ndarray
    movable: np.ndarray
    loose: np.ndarray
    left_pad: int
    right_pad: int

    @classmethod
    def build(cls, model: Any) -> ContactProbe:
        hand = model.body("right_hand").id
        robot_root = model.body_rootid[hand]
        parent = model.body_parentid
        nbody = model.nbody

        def ancestors(b: int) -> list[int]:
            chain = [b]
            while b != 0:
                b = int(parent[b])
                chain.append(b)
            return chain

        robot_body = model.body_rootid == robot_root
        gripper_body = np.zeros(nbody, bool)
        movable_body = np.zeros(nbody, bool)
        loose_body = np.zeros(nbody, bool)
        free_joint = 0  # mujoco.mjtJoint.mjJNT_FREE
        free_bodies = {
            int(model.jnt_bodyid[j]) for j in range(model.njnt) if model.jnt_type[j] == free_joint
        }
        for b in range(nbody):
            chain = ancestors(b)
            if hand in chain:
                gripper_body[b] = True
            if model.body_rootid[b] != robot_root and any(model.body_jntnum[c] > 0 for c in chain):
                movable_body[b] = True
            if model.body_rootid[b] != robot_root and free_bodies.intersection(chain):
                loose_body[b] = True
        geom_body = model.geom_bodyid
        return cls(
            robot=robot_body[geom_body],
            gripper=gripper_body[geom_body],
            movable=movable_body[geom_body],
            loose=loose_body[geom_body],
            left_pad=model.geom("leftpad_geom").id,
            right_pad=model.geom("rightpad_geom").id,
        )

    def measure(
        self, mujoco: Any, model: Any, data: Any, buf: np.ndarray
    ) -> tuple[float, float, bool]:
        """``(contact_force, object_force, grasp)`` of the current state (see module doc).

        ``grasp`` is True when both finger pads touch a movable object.
        """
        if data.ncon == 0:
            return 0.0, 0.0, False
        geom = data.contact.geom
        g1, g2 = geom[:, 0], geom[:, 1]
        rob1, rob2 = self.robot[g1], self.robot[g2]
        mov1, mov2 = self.movable[g1], self.movable[g2]
        grip_obj = (self.gripper[g1] & mov2) | (self.gripper[g2] & mov1)
        robot_c = (rob1 | rob2) & ~grip_obj
        object_c = ~(rob1 | rob2) & (self.loose[g1] ^ self.loose[g2])
        peaks = [0.0, 0.0]
        for which, mask in enumerate((robot_c, object_c)):
            for i in np.flatnonzero(mask):
                mujoco.mj_contactForce(model, data, int(i), buf)
                if buf[0] > peaks[which]:
                    peaks[which] = float(buf[0])
        left = bool(np.any(((g1 == self.left_pad) & mov2) | ((g2 == self.left_pad) & mov1)))
        right = bool(np.any(((g1 == self.right_pad) & mov2) | ((g2 == self.right_pad) & mov1)))
        return peaks[0], peaks[1], left and right


def make_env(
    task: str, *, width: int, height: int, cameras: Sequence[str], render: bool
) -> Any:
    """Build a seeded-reset Meta-World v3 environment with the goal visible in observations.

    With ``render``, a :class:`~badbench.generate.sim._render.FrameRenderer` for ``cameras``
    (see :mod:`._cameras`) is attached (shadows and multisampling off: about 7x faster at small
    sizes, visually near-identical). Free it with :func:`close_env`.

    Raises:
        ValidationError: a camera name that is neither badbench's nor the model's.
    """
    _, _ = import_sim()
    from metaworld.env_dict import ALL_V3_ENVIRONMENTS

    from badbench.generate.sim._render import FrameRenderer

    cls = ALL_V3_ENVIRONMENTS[task]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = cls(width=width, height=height)
    env._partially_observable = False  # the scripted experts read the goal from obs[-3:]
    try:
        del env.sawyer_observation_space  # cached property; recomputed with the goal visible
    except AttributeError:
        pass
    env._freeze_rand_vec = False
    env.seeded_rand_vec = True  # initial conditions drawn from env.np_random (seeded per episode)
    env._set_task_called = True
    env.max_path_length = 10**9  # the engine enforces its own horizon
    env.model.vis.quality.shadowsize = 0
    env.model.vis.quality.offsamples = 0
    env._badbench_renderer = (
        FrameRenderer(env.model, env.data, width, height, cameras) if render else None
    )
    env._badbench_default_limits = (
        env.hand_low.copy(),
        env.mocap_low.copy(),
        float(env.action_scale),
    )
    return env


def restore_limits(env: Any) -> None:
    """Undo injector changes to the hand clamp and action scale (called before each reset)."""
    hand_low, mocap_low, scale = env._badbench_default_limits
    env.hand_low = hand_low.copy()
    env.mocap_low = mocap_low.copy()
    env.action_scale = scale


def lower_hand_floor(env: Any, z: float = LOW_HAND_Z) -> None:
    """Let the hand (mocap target) go down to ``z`` instead of Meta-World's clamp at 0.05."""
    env.hand_low = env.hand_low.copy()
    env.mocap_low = env.mocap_low.copy()
    env.hand_low[2] = min(env.hand_low[2], z)
    env.mocap_low[2] = min(env.mocap_low[2], z)


def renderer(env: Any) -> Any:
    """The environment's :class:`~badbench.generate.sim._render.FrameRenderer`."""
    if getattr(env, "_badbench_renderer", None) is None:
        raise ValueError("this environment was built with render=False")
    return env._badbench_renderer


def place_cameras(env: Any, obs0: np.ndarray | None = None) -> None:
    """Place the stored cameras for an episode starting at ``obs0`` (default: the current obs)."""
    renderer(env).place(env.data, env._get_obs() if obs0 is None else obs0)


def camera_placement(env: Any) -> dict[str, Any]:
    """Where each stored camera is for the current episode (a JSON record, see
    :meth:`~badbench.generate.sim._cameras.ViewCamera.describe`)."""
    return {v.name: v.describe() for v in renderer(env).views}


def render_frame(env: Any) -> dict[str, np.ndarray]:
    """Render the current state from every stored camera; ``name -> (H, W, 3)`` uint8, upright."""
    return renderer(env).render(env.data)


def close_env(env: Any) -> None:
    """Free the environment's renderer and close it."""
    if getattr(env, "_badbench_renderer", None) is not None:
        env._badbench_renderer.close()
        env._badbench_renderer = None
    env.close()
