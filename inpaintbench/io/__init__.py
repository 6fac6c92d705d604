"""inpaintbench.io."""
