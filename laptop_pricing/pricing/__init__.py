"""The market estimate: the fields of a laptop, their encoding, the model and its explanation."""
