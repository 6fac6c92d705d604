"""inpaintbench.reports."""
