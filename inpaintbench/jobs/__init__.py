"""inpaintbench.jobs."""
