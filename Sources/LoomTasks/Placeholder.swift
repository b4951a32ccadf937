// placeholder so the target builds; replaced by the engine
