"""inpaintbench: where an image was inpainted, and where detectors break.

Public entry points: ``inpaintbench.registry`` (plugins by name), ``inpaintbench.jobs``
(train / evaluate / run), ``inpaintbench.metrics`` (conventions), ``inpaintbench.contracts``.
"""

__version__ = "0.1.0"
