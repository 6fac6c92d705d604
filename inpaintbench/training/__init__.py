"""inpaintbench.training.trainer."""
