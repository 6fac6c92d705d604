"""inpaintbench.evaluation."""
