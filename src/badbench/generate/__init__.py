"""Engines that synthesise bad behaviour (``badbench.generate.sim``: Meta-World / MuJoCo)."""
