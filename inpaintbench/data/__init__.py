"""Reading data: image files, the provided layout, dataset factories and sample tensors. Making data
lives in the sub-package ``inpaintbench.data.generation``."""
