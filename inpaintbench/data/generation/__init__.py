"""Making data: photo sources, masks, latent autoencoders, inpainting generators, the ``generate``
job and universal training data. Reading the result is ``inpaintbench.data``'s job."""
